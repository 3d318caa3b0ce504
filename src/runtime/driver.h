// Driver: how a task runs on this node (Nomad's task driver seam). Drivers are created by name
// from a FactoryRegistry; the Supervisor talks to them only through this interface.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/registry.h"
#include "core/result.h"
#include "runtime/streams.h"
#include "runtime/task_spec.h"

namespace iotwins::runtime {

// What the supervisor persists to find a task again after an agent restart.
struct TaskHandle {
  std::string task_id;
  std::string driver;
  pid_t pid = 0;
  uint64_t start_time = 0;  // /proc/<pid>/stat field 22 (ticks since boot): a reused pid differs
  std::string detail;       // driver-specific (oci: the container's name)
  bool operator==(const TaskHandle&) const = default;
};

struct TaskExit {
  int code = -1;     // exit code; -1 when unknown (a re-attached process is not our child)
  int signal = 0;    // terminating signal, 0 if none
  std::string reason;  // set when the driver knows more (an in-process task's error)
  bool success() const { return signal == 0 && code == 0; }
  std::string to_string() const;
};

struct TaskStats {
  double cpu_percent = 0;  // of one core, like top, summed over the task's process group
  uint64_t rss_bytes = 0;
};

struct Fingerprint {
  bool available = false;
  std::string reason;  // why not (or a note on what was found)
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string name() const = 0;
  // What this driver can do here; probes once and caches the answer.
  virtual Fingerprint fingerprint() = 0;
  virtual Result<TaskHandle> start(const TaskSpec& spec) = 0;
  // nullopt while running; the exit once it ended (then the driver forgets the task).
  virtual std::optional<TaskExit> poll(const std::string& task_id) = 0;
  // Graceful stop (SIGTERM / stop token), then a kill of the process group after grace.
  virtual Result<TaskExit> stop(const std::string& task_id, std::chrono::milliseconds grace) = 0;
  // Takes a task found in the persisted state back: not_found when it is gone (or its pid now
  // belongs to another process).
  virtual Status recover(const TaskHandle& handle) = 0;
  // Forgets a task without stopping it (the agent shuts down and leaves it running).
  virtual void release(const std::string& task_id) = 0;
  virtual Result<TaskStats> stats(const std::string& task_id) = 0;
};

// Where a driver finds what it needs on this node.
struct DriverConfig {
  std::string tasks_dir;  // one directory per task: <tasks_dir>/<task id>/
  // sha256 → a local file (the agent passes ArtifactCache::path_for).
  std::function<Result<std::string>(const std::string& sha256)> resolve_artifact;
  std::string path;       // PATH searched for bwrap, podman, prlimit; empty: $PATH
  uint64_t log_max_bytes = 10 << 20;  // per stream, before it is rotated to <name>.1
  // Builtin tasks: their streams, their node, and where their attributes go (task id, name, value).
  StreamHub* streams = nullptr;
  NodeContext node;
  // exec and sandbox tasks with streams run under this prefix (the agent's `iotwins stream-bridge
  // --broker URL`), followed by --in/--out per stream and `--` and the task's own argv, so their
  // stdin/stdout are JSON-line streams. Empty: such tasks get only IOTWINS_INPUTS/OUTPUTS.
  std::vector<std::string> stream_bridge;
  std::function<void(const std::string& task_id, const std::string& name, const std::string& value)> on_attribute;
};

using DriverRegistry = FactoryRegistry<Driver, const DriverConfig&>;

// exec, sandbox, oci and builtin (with the process-wide builtin_tasks() registry).
DriverRegistry& standard_drivers();
// One driver of every name in the registry, for a Supervisor.
Result<std::map<std::string, std::unique_ptr<Driver>>> create_drivers(const DriverConfig& config,
                                                                      const DriverRegistry& registry = standard_drivers());

}  // namespace iotwins::runtime
