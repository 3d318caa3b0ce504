// TaskSpec: one task an agent must run (what the server's desired task set lists), and its
// strict JSON codec. Plain values, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins::runtime {

enum class RestartMode { always, on_failure, never };
std::string_view restart_mode_name(RestartMode mode);

struct RestartPolicy {
  RestartMode mode = RestartMode::on_failure;
  int max_restarts = 5;              // more restarts than this within window → restart storm
  int64_t window_ms = 300'000;
  int64_t initial_backoff_ms = 1'000;  // doubles per restart in the window, up to max_backoff_ms
  int64_t max_backoff_ms = 60'000;
  double jitter = 0.2;                 // the delay is reduced by up to this fraction, at random
  bool operator==(const RestartPolicy&) const = default;
};

enum class HealthKind { none, tcp, http, command };
std::string_view health_kind_name(HealthKind kind);

struct HealthCheck {
  HealthKind kind = HealthKind::none;
  int port = 0;                      // tcp, http: on 127.0.0.1 (a sandbox task needs network)
  std::string path = "/";            // http: 2xx or 3xx is healthy
  std::vector<std::string> command;  // command: exit 0 is healthy
  int64_t interval_ms = 10'000;
  int64_t timeout_ms = 2'000;
  int failure_threshold = 3;         // consecutive failures → unhealthy (then restarted per policy)
  bool operator==(const HealthCheck&) const = default;
};

struct TaskResources {
  double cpu = 0;              // cores (placement; oci: --cpus)
  uint64_t memory_bytes = 0;   // sandbox: RLIMIT_AS; oci: --memory; 0: no limit
  uint64_t cpu_seconds = 0;    // sandbox: RLIMIT_CPU; 0: no limit
  uint64_t open_files = 0;     // sandbox: RLIMIT_NOFILE; 0: inherited
  bool operator==(const TaskResources&) const = default;
};

struct TaskSpec {
  std::string id;          // unique on the node; names its directory: [A-Za-z0-9._-]{1,128}
  std::string deployment;
  std::string driver;      // exec | sandbox | oci | builtin
  // exec, sandbox: run `command` (a program on the node) or else the artifact itself.
  std::string artifact_sha256;
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string workdir;     // relative to the task directory; empty: the task directory
  std::string image;       // oci
  std::string builtin;     // builtin: the registered operator's name
  std::string config_json = "{}";  // builtin: its configuration (a JSON object)
  TaskResources resources;
  RestartPolicy restart;
  HealthCheck health;
  bool network = false;    // sandbox, oci: network access (default: none)
  std::vector<std::string> inputs, outputs;  // stream names
  bool operator==(const TaskSpec&) const = default;
};

// Every rule the codec enforces, for specs built in code: invalid_argument naming the field.
Status validate_task_spec(const TaskSpec& spec);

// Strict: unknown fields, wrong types and out-of-range values are invalid_argument naming the
// field ("task t1: restart.mode: must be one of always, on-failure, never").
Result<TaskSpec> decode_task_spec(std::string_view json);
std::string encode_task_spec(const TaskSpec& spec);

// A JSON array of specs; ids must be unique.
Result<std::vector<TaskSpec>> decode_task_specs(std::string_view json);
std::string encode_task_specs(const std::vector<TaskSpec>& specs);

}  // namespace iotwins::runtime
