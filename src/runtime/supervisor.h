// Supervisor: the agent's task reconciler (Redpanda's table + backend in one small class). It
// holds the desired task set, and each tick() drives the actual tasks toward it: starts missing
// ones, stops removed ones, restarts changed ones, applies restart policies with backoff, runs
// health checks and reports what happened as TaskEvents. The desired set and the handles of the
// running tasks are persisted (<data_dir>/tasks.json, written atomically) so an agent restarted
// while the server is unreachable runs the same tasks again, and re-attaches to the processes
// that kept running instead of starting duplicates.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/fs.h"
#include "runtime/driver.h"
#include "runtime/restart.h"

namespace iotwins::runtime {

enum class TaskEventKind { started, exited, restarting, unhealthy, restart_storm, start_failed, stopped, recovered };
std::string_view task_event_name(TaskEventKind kind);

struct TaskEvent {
  std::string task_id;
  std::string deployment;
  TaskEventKind kind = TaskEventKind::started;
  int64_t ts_ns = 0;
  std::string message;  // "exited with code 3", "restarting in 2.0 s", ...
  TaskExit exit;        // exited: how it ended
  int64_t delay_ms = 0; // restarting: the backoff
};

enum class TaskState { pending, running, backoff, failed, finished };
std::string_view task_state_name(TaskState state);

struct TaskStatus {
  TaskSpec spec;
  TaskState state = TaskState::pending;
  TaskHandle handle;        // when running
  int restarts = 0;         // within the policy's window
  std::string last_error;   // why it failed, or the last exit
};

struct SupervisorOptions {
  std::string data_dir;   // tasks.json lives here
  std::string tasks_dir;  // the drivers' task directories (health commands run in the task's)
  const Clock* clock = &SystemClock::instance();
  FileSystem* fs = &PosixFileSystem::instance();
  std::function<void(const TaskEvent&)> on_event;  // called on the ticking thread
  std::chrono::milliseconds stop_grace{5'000};
  uint64_t seed = std::random_device{}();  // jitter
};

// Not thread-safe apart from set_desired() and status(): one loop thread calls tick().
class Supervisor {
 public:
  // Loads the persisted state and re-attaches what still runs (event `recovered`); tasks whose
  // process is gone are started again at the next tick.
  static Result<std::unique_ptr<Supervisor>> open(SupervisorOptions options,
                                                  std::map<std::string, std::unique_ptr<Driver>> drivers);
  ~Supervisor();

  // Validates every spec (unique ids, a known driver) and persists the set; changes nothing on a
  // bad one. Applied at the next tick.
  Status set_desired(std::vector<TaskSpec> tasks);
  // One reconcile pass: level-triggered, safe to call at any rate.
  void tick();
  std::vector<TaskStatus> status() const;
  Result<TaskStats> stats(const std::string& task_id);
  // Drivers' fingerprints, for registration ("oci": unavailable, "podman not found in PATH").
  std::map<std::string, Fingerprint> fingerprints();

  // The agent is stopping. stop_tasks false (the default for edge autonomy): tasks keep running
  // and the next Supervisor re-attaches them; true: every task is stopped (the set stays persisted).
  void shutdown(bool stop_tasks = false);

 private:
  struct Task {
    TaskSpec spec;
    TaskState state = TaskState::pending;
    TaskHandle handle;
    RestartTracker restarts;
    int restarts_in_window = 0;
    int64_t next_start_ns = 0;
    int64_t next_health_ns = 0;
    int health_failures = 0;
    std::string last_error;
  };

  Supervisor(SupervisorOptions options, std::map<std::string, std::unique_ptr<Driver>> drivers)
      : options_(std::move(options)), drivers_(std::move(drivers)), rng_(options_.seed) {}
  Status load();
  void persist();
  void flush_events();
  void emit(const Task& task, TaskEventKind kind, std::string message, TaskExit exit = {}, int64_t delay_ms = 0);
  void stop_task(Task& task, const char* why);
  void start_task(Task& task, int64_t now);
  void on_exit(Task& task, const TaskExit& exit, int64_t now);
  void check_health(Task& task, int64_t now);
  Driver* driver_for(const TaskSpec& spec);

  SupervisorOptions options_;
  std::map<std::string, std::unique_ptr<Driver>> drivers_;
  std::mt19937_64 rng_;
  mutable std::mutex mu_;            // guards desired_ and tasks_ (status from other threads)
  std::vector<TaskSpec> desired_;
  std::map<std::string, Task> tasks_;
  bool dirty_ = false;               // handles changed since the last persist
  bool shut_down_ = false;
  std::vector<TaskEvent> pending_events_;  // emitted after mu_ is released
};

}  // namespace iotwins::runtime
