// What the builtin tasks of the iotwins TOSCA types share (builtins.h): their JSON config read
// with errors naming the field, the records of their input streams (and of the node's broker)
// queued for their thread, their outputs, and waiting on a stop token.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_client.h"
#include "core/result.h"
#include "runtime/builtin.h"

namespace iotwins::tasks::builtin {

// A builtin task's config: the node template's properties as a JSON object (plus "twins").
// Every error is invalid_argument "<type> config.<key>: <what>".
class Config {
 public:
  static Result<Config> parse(const std::string& type, const std::string& config_json);

  Error bad(const std::string& key, const std::string& what) const;
  bool has(const std::string& key) const;
  // A string; `fallback` when absent or null. A required one must be non-empty.
  Result<std::string> text(const std::string& key, const std::string& fallback = "") const;
  Result<std::string> required_text(const std::string& key) const;
  // A number (an integer-valued one for integer()).
  Result<std::optional<double>> number(const std::string& key) const;
  Result<std::optional<int64_t>> integer(const std::string& key) const;
  // A TOSCA scalar-unit.time ("1 s", "100 ms", "30 d") or a number of seconds; must be > 0.
  Result<std::optional<std::chrono::duration<double>>> duration(const std::string& key) const;
  // A list of strings (a single string counts as a list of one).
  Result<std::vector<std::string>> strings(const std::string& key) const;
  // "twins": the twin ids of the node's `twin` requirements.
  Result<std::vector<std::string>> twins() const { return strings("twins"); }

 private:
  std::string type_;
  nlohmann::json json_;
};

// Records for a task's thread: pushed from hub and MQTT threads (bounded: the newest beyond the
// bound are dropped and counted), taken by the task. Subscriptions die before the queue.
class Inbox {
 public:
  struct Item {
    std::string source;  // the input address or MQTT topic
    std::string record;
  };
  static constexpr size_t kMaxQueued = 100'000;

  void push(std::string source, std::string_view record);
  // Subscribes to every input address of the task.
  Status subscribe_inputs(const runtime::BuiltinContext& ctx);
  // Waits until records arrive, `until` passes or stop is requested; takes them all.
  std::deque<Item> take(std::stop_token stop, std::chrono::steady_clock::time_point until);
  uint64_t dropped() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Item> queue_;
  uint64_t dropped_ = 0;
  std::vector<std::unique_ptr<runtime::StreamSubscription>> subs_;  // last: destroyed first
};

// Publishes each record on every output address; failures are counted (the task goes on).
class Outputs {
 public:
  explicit Outputs(const runtime::BuiltinContext& ctx) : streams_(ctx.streams), addresses_(ctx.outputs) {}
  void publish(std::string_view record);
  uint64_t published() const { return published_; }
  uint64_t failures() const { return failures_; }
  const std::vector<std::string>& addresses() const { return addresses_; }

 private:
  runtime::StreamHub* streams_;
  std::vector<std::string> addresses_;
  uint64_t published_ = 0, failures_ = 0;
};

// Sleeps until `until` or a stop request; false when stop was requested.
bool sleep_until(std::stop_token stop, std::chrono::steady_clock::time_point until);

// An HTTP client for the node's server (its CA and bearer token).
Result<std::unique_ptr<api::HttpClient>> server_client(const runtime::NodeContext& node);

// The twin a record speaks of: its "twin" field, else the <twin> of an iotwins/<twin>/… topic,
// else `fallback`.
std::string twin_of(const nlohmann::json& record, std::string_view topic, const std::string& fallback);
// Milliseconds since the epoch of a record's "ts" (ms, or RFC 3339 text), else now.
int64_t record_ts_ms(const nlohmann::json& record);
int64_t now_ms();
// "1 s", "250 ms": a duration for log lines.
std::string seconds_text(double seconds);

}  // namespace iotwins::tasks::builtin
