// Runs one builtin task of tasks/builtins.h as the agent does: through runtime::BuiltinDriver,
// with an InprocStreamHub for its streams; collects what it publishes on its outputs, the
// attributes it sets and its log.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/builtin.h"
#include "runtime/streams.h"

namespace iotwins::tasks::testing {

// Polls `pred` until it holds or the deadline passes (no fixed sleeps).
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds deadline = std::chrono::seconds(30));

class TaskRunner {
 public:
  explicit TaskRunner(runtime::NodeContext node = {});
  ~TaskRunner();
  // Starts builtin `type` as task "t1"; its outputs are collected.
  Status start(const std::string& type, const nlohmann::json& config, std::vector<std::string> inputs = {},
               std::vector<std::string> outputs = {"inproc:out"});
  std::vector<nlohmann::json> records();
  std::string attribute(const std::string& name);
  std::string log() const;
  bool log_has(const std::string& text) const { return log().find(text) != std::string::npos; }
  std::optional<runtime::TaskExit> poll();
  runtime::TaskExit stop();
  // Waits until the task subscribed to its inproc input stream.
  bool subscribed(const std::string& stream);

  runtime::InprocStreamHub hub;

 private:
  std::string dir_;
  std::unique_ptr<runtime::BuiltinDriver> driver_;
  std::vector<std::unique_ptr<runtime::StreamSubscription>> subs_;
  std::mutex mu_;
  std::vector<nlohmann::json> records_;
  std::map<std::string, std::string> attributes_;
  bool running_ = false;
};

}  // namespace iotwins::tasks::testing
