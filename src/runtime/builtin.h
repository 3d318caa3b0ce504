// The builtin driver: tasks that are C++ operators compiled into the agent, run on their own
// thread with a stop token. Operators register a factory by name in builtin_tasks() (the
// analytics operators do so at start-up); a task spec names one and gives it a JSON config.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "runtime/driver.h"
#include "runtime/streams.h"

namespace iotwins::runtime {

struct BuiltinContext {
  std::string task_id;
  std::string config_json;  // a JSON object (validated as one)
  std::string task_dir;
  std::vector<std::string> inputs, outputs;  // stream addresses (runtime/streams.h)
  std::function<void(std::string_view line)> log;  // appended to the task's stdout log
  StreamHub* streams = nullptr;  // never null under the agent; an InprocStreamHub in tests
  NodeContext node;              // the server, the node's broker
  // A live attribute of the task (`endpoint`, …) for the deployment's get_attribute outputs.
  std::function<void(const std::string& name, const std::string& value)> set_attribute;
};

class BuiltinTask {
 public:
  virtual ~BuiltinTask() = default;
  // Runs until finished or `stop` is requested (it must return soon after). Ok is exit code 0,
  // an error is exit code 1 with the error as the reason.
  virtual Status run(std::stop_token stop) = 0;
};

// The factory checks the config (a bad one fails the start with invalid_argument) and copies
// what it needs from the context: the context itself does not outlive the call.
using BuiltinRegistry = FactoryRegistry<BuiltinTask, const BuiltinContext&>;
BuiltinRegistry& builtin_tasks();

class BuiltinDriver : public Driver {
 public:
  BuiltinDriver(DriverConfig config, BuiltinRegistry& registry) : config_(std::move(config)), registry_(registry) {}
  ~BuiltinDriver() override;

  std::string name() const override { return "builtin"; }
  Fingerprint fingerprint() override { return {.available = true}; }
  Result<TaskHandle> start(const TaskSpec& spec) override;
  std::optional<TaskExit> poll(const std::string& task_id) override;
  Result<TaskExit> stop(const std::string& task_id, std::chrono::milliseconds grace) override;
  // In-process tasks end with the agent: always not_found (the supervisor starts them again).
  Status recover(const TaskHandle& handle) override;
  // A thread cannot outlive the agent: release stops the task.
  void release(const std::string& task_id) override;
  Result<TaskStats> stats(const std::string& task_id) override;

 private:
  struct Running;
  DriverConfig config_;
  BuiltinRegistry& registry_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Running>> tasks_;
  std::vector<std::shared_ptr<Running>> stuck_;  // ignored their stop token; joined at destruction
};

}  // namespace iotwins::runtime
