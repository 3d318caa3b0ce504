#include "runtime/supervisor.h"

#include <cstdio>
#include <set>

#include "core/log.h"
#include "runtime/health.h"
#include "runtime/process_driver.h"

namespace iotwins::runtime {
namespace {

auto& logger() {
  static auto& log = log::get("runtime");
  return log;
}

std::string seconds_text(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

// Errors that another try cannot fix: the task fails instead of backing off.
bool permanent(Errc code) {
  return code == Errc::invalid_argument || code == Errc::unsupported || code == Errc::not_found;
}

}  // namespace

std::string_view task_event_name(TaskEventKind kind) {
  switch (kind) {
    case TaskEventKind::started: return "started";
    case TaskEventKind::exited: return "exited";
    case TaskEventKind::restarting: return "restarting";
    case TaskEventKind::unhealthy: return "unhealthy";
    case TaskEventKind::restart_storm: return "restart_storm";
    case TaskEventKind::start_failed: return "start_failed";
    case TaskEventKind::stopped: return "stopped";
    case TaskEventKind::recovered: return "recovered";
  }
  return "?";
}

std::string_view task_state_name(TaskState state) {
  switch (state) {
    case TaskState::pending: return "pending";
    case TaskState::running: return "running";
    case TaskState::backoff: return "backoff";
    case TaskState::failed: return "failed";
    case TaskState::finished: return "finished";
  }
  return "?";
}

Result<std::unique_ptr<Supervisor>> Supervisor::open(SupervisorOptions options,
                                                     std::map<std::string, std::unique_ptr<Driver>> drivers) {
  if (options.data_dir.empty()) return make_error(Errc::invalid_argument, "supervisor: empty data dir");
  if (!options.clock || !options.fs) return make_error(Errc::invalid_argument, "supervisor: no clock or file system");
  std::unique_ptr<Supervisor> sup(new Supervisor(std::move(options), std::move(drivers)));
  IOT_TRY(sup->load());
  sup->flush_events();
  return sup;
}

Supervisor::~Supervisor() { shutdown(false); }

Driver* Supervisor::driver_for(const TaskSpec& spec) {
  auto it = drivers_.find(spec.driver);
  return it == drivers_.end() ? nullptr : it->second.get();
}

Status Supervisor::set_desired(std::vector<TaskSpec> tasks) {
  std::set<std::string> ids;
  for (const auto& spec : tasks) {
    IOT_TRY(validate_task_spec(spec));
    if (!ids.insert(spec.id).second) return make_error(Errc::invalid_argument, "task " + spec.id + ": duplicate id");
    if (!drivers_.contains(spec.driver)) {
      return make_error(Errc::invalid_argument, "task " + spec.id + ": driver '" + spec.driver + "' is not on this node");
    }
  }
  std::lock_guard lock(mu_);
  desired_ = std::move(tasks);
  dirty_ = true;
  persist();
  return ok();
}

void Supervisor::emit(const Task& task, TaskEventKind kind, std::string message, TaskExit exit, int64_t delay_ms) {
  logger().info("task {}: {} {}", task.spec.id, task_event_name(kind), message);
  pending_events_.push_back(TaskEvent{.task_id = task.spec.id, .deployment = task.spec.deployment, .kind = kind,
                                      .ts_ns = options_.clock->now_ns(), .message = std::move(message),
                                      .exit = std::move(exit), .delay_ms = delay_ms});
}

void Supervisor::flush_events() {
  std::vector<TaskEvent> events;
  {
    std::lock_guard lock(mu_);
    events.swap(pending_events_);
  }
  if (options_.on_event) {
    for (const auto& e : events) options_.on_event(e);
  }
}

void Supervisor::stop_task(Task& task, const char* why) {
  if (task.state != TaskState::running) return;
  Driver* driver = driver_for(task.spec);
  auto exit = driver->stop(task.spec.id, options_.stop_grace);
  if (exit) {
    emit(task, TaskEventKind::stopped, std::string(why) + ": " + exit->to_string(), *exit);
  } else {
    emit(task, TaskEventKind::stopped, std::string(why) + ": " + exit.error().message());
  }
  task.handle = {};
  task.state = TaskState::pending;
  dirty_ = true;
}

void Supervisor::start_task(Task& task, int64_t now) {
  Driver* driver = driver_for(task.spec);
  std::string failure;
  bool fatal = false;
  if (!driver) {
    failure = "driver '" + task.spec.driver + "' is not on this node";
    fatal = true;
  } else if (Fingerprint fp = driver->fingerprint(); !fp.available) {
    failure = task.spec.driver + " driver unavailable: " + fp.reason;
    fatal = true;
  } else if (auto handle = driver->start(task.spec); !handle) {
    failure = handle.error().message();
    fatal = permanent(handle.error().code());
  } else {
    task.handle = *handle;
    task.state = TaskState::running;
    task.health_failures = 0;
    task.next_health_ns = now + task.spec.health.interval_ms * 1'000'000;
    dirty_ = true;
    emit(task, TaskEventKind::started,
         handle->pid > 0 ? "pid " + std::to_string(handle->pid) : "in-process (" + task.spec.driver + ")");
    return;
  }
  emit(task, TaskEventKind::start_failed, failure);
  task.last_error = failure;
  if (fatal) {
    task.state = TaskState::failed;
    dirty_ = true;
    return;
  }
  on_exit(task, TaskExit{.reason = failure}, now);
}

void Supervisor::on_exit(Task& task, const TaskExit& exit, int64_t now) {
  task.handle = {};
  dirty_ = true;
  task.last_error = exit.to_string();
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  RestartDecision d = task.restarts.on_exit(task.spec.restart, exit, now, u);
  task.restarts_in_window = d.restarts_in_window;
  if (d.restart) {
    task.state = TaskState::backoff;
    task.next_start_ns = now + d.delay_ms * 1'000'000;
    emit(task, TaskEventKind::restarting,
         "restarting in " + seconds_text(d.delay_ms) + " (restart " + std::to_string(d.restarts_in_window) + " of " +
             std::to_string(task.spec.restart.max_restarts) + " within " + seconds_text(task.spec.restart.window_ms) + ")",
         exit, d.delay_ms);
  } else if (d.storm) {
    task.state = TaskState::failed;
    task.last_error = "restart storm: " + std::to_string(d.restarts_in_window) + " restarts within " +
                      seconds_text(task.spec.restart.window_ms) + "; last: " + exit.to_string();
    emit(task, TaskEventKind::restart_storm, task.last_error, exit);
  } else {
    task.state = exit.success() ? TaskState::finished : TaskState::failed;
  }
}

void Supervisor::check_health(Task& task, int64_t now) {
  const HealthCheck& check = task.spec.health;
  if (check.kind == HealthKind::none || now < task.next_health_ns) return;
  task.next_health_ns = now + check.interval_ms * 1'000'000;
  std::string dir = join_path(options_.tasks_dir, task.spec.id);
  Status st = run_health_check(check, task.spec.workdir.empty() ? dir : join_path(dir, task.spec.workdir));
  if (st) {
    task.health_failures = 0;
    return;
  }
  if (++task.health_failures < check.failure_threshold) return;
  std::string why = "unhealthy: " + std::to_string(task.health_failures) + " failed " +
                    std::string(health_kind_name(check.kind)) + " checks; last: " + st.error().message();
  emit(task, TaskEventKind::unhealthy, why);
  Driver* driver = driver_for(task.spec);
  if (auto stopped = driver->stop(task.spec.id, options_.stop_grace); !stopped) {
    logger().warn("task {}: stop after failed health checks: {}", task.spec.id, stopped.error().message());
  }
  on_exit(task, TaskExit{.reason = why}, now);  // a failure whatever the process's own exit code
}

void Supervisor::tick() {
  {
    std::lock_guard lock(mu_);
    const int64_t now = options_.clock->steady_ns();
    std::map<std::string, const TaskSpec*> desired;
    for (const auto& spec : desired_) desired[spec.id] = &spec;
    for (auto it = tasks_.begin(); it != tasks_.end();) {
      auto want = desired.find(it->first);
      if (want == desired.end()) {
        stop_task(it->second, "removed from the desired set");
        it = tasks_.erase(it);
        dirty_ = true;
        continue;
      }
      if (!(it->second.spec == *want->second)) {
        stop_task(it->second, "spec changed");
        Task fresh;
        fresh.spec = *want->second;
        fresh.next_start_ns = now;
        it->second = std::move(fresh);
        dirty_ = true;
      }
      ++it;
    }
    for (const auto& [id, spec] : desired) {
      if (!tasks_.contains(id)) {
        Task task;
        task.spec = *spec;
        task.next_start_ns = now;
        tasks_.emplace(id, std::move(task));
      }
    }
    for (auto& [id, task] : tasks_) {
      if (task.state == TaskState::running) {
        if (auto exit = driver_for(task.spec)->poll(id)) {
          emit(task, TaskEventKind::exited, exit->to_string(), *exit);
          on_exit(task, *exit, now);
        } else {
          check_health(task, now);
        }
      }
      if ((task.state == TaskState::pending || task.state == TaskState::backoff) && task.next_start_ns <= now) {
        start_task(task, now);
      }
    }
    if (dirty_) persist();
  }
  flush_events();
}

std::vector<TaskStatus> Supervisor::status() const {
  std::lock_guard lock(mu_);
  std::vector<TaskStatus> out;
  for (const auto& [id, task] : tasks_) {
    out.push_back(TaskStatus{.spec = task.spec, .state = task.state, .handle = task.handle,
                             .restarts = task.restarts_in_window, .last_error = task.last_error});
  }
  return out;
}

Result<TaskStats> Supervisor::stats(const std::string& task_id) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(task_id);
  if (it == tasks_.end() || it->second.state != TaskState::running) {
    return make_error(Errc::not_found, "task " + task_id + " is not running");
  }
  return driver_for(it->second.spec)->stats(task_id);
}

std::map<std::string, Fingerprint> Supervisor::fingerprints() {
  std::map<std::string, Fingerprint> out;
  for (auto& [name, driver] : drivers_) out[name] = driver->fingerprint();
  return out;
}

void Supervisor::shutdown(bool stop_tasks) {
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [id, task] : tasks_) {
      if (task.state != TaskState::running) continue;
      if (stop_tasks) {
        stop_task(task, "agent stopping");
      } else {
        driver_for(task.spec)->release(id);
      }
    }
    dirty_ = true;
    persist();
  }
  flush_events();
}

}  // namespace iotwins::runtime
