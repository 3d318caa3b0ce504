// ProcessDriver: what exec, sandbox and oci share — a task is a process group started from a
// command line, with stdout/stderr in size-capped log files under its task directory, tracked
// either as our child or, after an agent restart, re-attached by pid + /proc start time.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "core/process.h"
#include "runtime/driver.h"

namespace iotwins::runtime {

// /proc/<pid>/stat: the start time (ticks since boot) and the state letter ('Z' for a zombie).
struct ProcStat {
  uint64_t start_time = 0;
  char state = '?';
  pid_t pgrp = 0;
  uint64_t ticks = 0;  // utime + stime
};
Result<ProcStat> read_proc_stat(pid_t pid);

// The task's directory (created) and its log files.
std::string task_dir(const DriverConfig& config, const std::string& task_id);
std::string task_log_path(const std::string& task_dir, std::string_view stream);  // stream: stdout|stderr

class ProcessDriver : public Driver {
 public:
  explicit ProcessDriver(DriverConfig config) : config_(std::move(config)) {}
  ~ProcessDriver() override;

  Result<TaskHandle> start(const TaskSpec& spec) override;
  std::optional<TaskExit> poll(const std::string& task_id) override;
  Result<TaskExit> stop(const std::string& task_id, std::chrono::milliseconds grace) override;
  Status recover(const TaskHandle& handle) override;
  void release(const std::string& task_id) override;
  Result<TaskStats> stats(const std::string& task_id) override;

 protected:
  // The command line and environment of the task; `dir` is its (existing) task directory.
  virtual Result<ProcessOptions> command(const TaskSpec& spec, const std::string& dir) = 0;
  // Runs before the process group is signalled (oci: `podman stop`).
  virtual void before_stop(const TaskHandle&, std::chrono::milliseconds) {}
  // The artifact, hard-linked (or copied) into the task directory as an executable.
  Result<std::string> stage_artifact(const TaskSpec& spec, const std::string& dir);

  DriverConfig config_;

 private:
  struct Running {
    TaskHandle handle;
    Process child;          // empty (pid -1) when re-attached
    uint64_t prev_ticks = 0;
    int64_t prev_at_ns = 0;
    std::string dir;
  };
  std::optional<TaskExit> check(Running& task);
  void rotate_logs(const Running& task);

  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Running>> tasks_;
};

// The last max_bytes of a task's log stream (the rotated file first, then the current one), for
// `iotwins deployments logs`. not_found when the task never wrote one.
Result<std::string> read_task_log(const DriverConfig& config, const std::string& task_id, std::string_view stream,
                                  size_t max_bytes);

}  // namespace iotwins::runtime
