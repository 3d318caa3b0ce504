#include "runtime/builtin.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>

#include "core/fs.h"
#include "core/log.h"
#include "runtime/process_driver.h"
#include "sysinfo/procfs.h"

namespace iotwins::runtime {

struct BuiltinDriver::Running {
  std::string id;
  std::unique_ptr<BuiltinTask> task;
  std::FILE* log = nullptr;
  std::string log_path;
  uint64_t log_bytes = 0, log_max = 0;
  std::mutex log_mu;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  TaskExit exit;
  pid_t tid = 0;
  uint64_t prev_ticks = 0;
  std::chrono::steady_clock::time_point prev_at;
  std::jthread thread;  // last: joined first on destruction, while the rest is still alive

  ~Running() {
    if (thread.joinable()) {
      thread.request_stop();
      thread.join();
    }
    if (log) std::fclose(log);
  }
  // One line to the stdout log; past log_max the file moves to stdout.log.1 (as process tasks' logs).
  void write_log(std::string_view line) {
    std::lock_guard lock(log_mu);
    if (!log) return;
    std::fwrite(line.data(), 1, line.size(), log);
    std::fputc('\n', log);
    std::fflush(log);
    log_bytes += line.size() + 1;
    if (log_bytes <= log_max) return;
    std::fclose(log);
    std::rename(log_path.c_str(), (log_path + ".1").c_str());
    log = std::fopen(log_path.c_str(), "a");
    log_bytes = 0;
  }
  bool wait_done(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return done; });
  }
};

BuiltinRegistry& builtin_tasks() {
  static BuiltinRegistry registry;
  return registry;
}

BuiltinDriver::~BuiltinDriver() {
  std::lock_guard lock(mu_);
  tasks_.clear();  // each Running requests stop and joins its thread
  stuck_.clear();
}

Result<TaskHandle> BuiltinDriver::start(const TaskSpec& spec) {
  {
    std::lock_guard lock(mu_);
    if (tasks_.contains(spec.id)) return make_error(Errc::already_exists, "task " + spec.id + " is running");
  }
  auto run = std::make_shared<Running>();
  run->id = spec.id;
  std::string dir = task_dir(config_, spec.id);
  IOT_TRY(PosixFileSystem::instance().create_dirs(join_path(dir, "logs")));
  std::string log_path = task_log_path(dir, "stdout");
  run->log = std::fopen(log_path.c_str(), "a");
  if (!run->log) return errno_error("open " + log_path, errno);
  run->log_path = log_path;
  run->log_bytes = PosixFileSystem::instance().file_size(log_path).value_or(0);
  run->log_max = config_.log_max_bytes;
  Running* raw = run.get();
  BuiltinContext ctx{.task_id = spec.id, .config_json = spec.config_json, .task_dir = dir,
                     .inputs = spec.inputs, .outputs = spec.outputs,
                     .log = [raw](std::string_view line) { raw->write_log(line); },
                     .streams = config_.streams,
                     .node = config_.node,
                     .set_attribute = [cb = config_.on_attribute, id = spec.id](const std::string& k,
                                                                               const std::string& v) {
                       if (cb) cb(id, k, v);
                     }};
  auto task = registry_.create(spec.builtin, ctx);
  if (!task) return std::unexpected(std::move(task).error().context("task " + spec.id + ": builtin " + spec.builtin));
  run->task = std::move(*task);
  run->prev_at = std::chrono::steady_clock::now();
  run->thread = std::jthread([raw](std::stop_token stop) {
    {
      std::lock_guard lock(raw->mu);
      raw->tid = static_cast<pid_t>(::syscall(SYS_gettid));
    }
    Status st = raw->task->run(stop);
    std::lock_guard lock(raw->mu);
    raw->exit = st ? TaskExit{.code = 0} : TaskExit{.code = 1, .reason = st.error().to_string()};
    raw->done = true;
    raw->cv.notify_all();
  });
  std::lock_guard lock(mu_);
  tasks_[spec.id] = run;
  log::get("runtime").info("task {} started (builtin {})", spec.id, spec.builtin);
  return TaskHandle{.task_id = spec.id, .driver = name(), .detail = spec.builtin};
}

std::optional<TaskExit> BuiltinDriver::poll(const std::string& task_id) {
  std::shared_ptr<Running> run;
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) return TaskExit{.reason = "not running on this driver"};
    run = it->second;
  }
  if (!run->wait_done(std::chrono::milliseconds(0))) return std::nullopt;
  run->thread.join();
  std::lock_guard lock(mu_);
  tasks_.erase(task_id);
  return run->exit;
}

Result<TaskExit> BuiltinDriver::stop(const std::string& task_id, std::chrono::milliseconds grace) {
  std::shared_ptr<Running> run;
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) return make_error(Errc::not_found, "task " + task_id + " is not running");
    run = it->second;
    tasks_.erase(it);
  }
  run->thread.request_stop();
  if (!run->wait_done(grace)) {
    std::lock_guard lock(mu_);
    stuck_.push_back(run);
    return make_error(Errc::timeout, "builtin task " + task_id + " ignored its stop request for " +
                                         std::to_string(grace.count()) + " ms");
  }
  run->thread.join();
  return run->exit;
}

Status BuiltinDriver::recover(const TaskHandle& handle) {
  return make_error(Errc::not_found, "task " + handle.task_id + ": in-process tasks end with the agent");
}

void BuiltinDriver::release(const std::string& task_id) {
  if (auto st = stop(task_id, std::chrono::seconds(5)); !st) {
    log::get("runtime").warn("builtin task {}: {}", task_id, st.error().message());
  }
}

Result<TaskStats> BuiltinDriver::stats(const std::string& task_id) {
  std::shared_ptr<Running> run;
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) return make_error(Errc::not_found, "task " + task_id + " is not running");
    run = it->second;
  }
  pid_t tid;
  {
    std::lock_guard lock(run->mu);
    tid = run->tid;
  }
  TaskStats stats;  // rss is the agent's: a thread has none of its own, so 0
  if (tid <= 0) return stats;
  std::string path = "/proc/self/task/" + std::to_string(tid) + "/stat";
  auto text = sysinfo::procfs::read_text(path);
  if (!text) return stats;  // the thread just ended
  auto st = sysinfo::procfs::parse_pid_stat(*text);
  if (!st) return std::unexpected(std::move(st).error().context("parse " + path));
  uint64_t ticks = st->utime + st->stime;
  auto now = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(now - run->prev_at).count();
  if (seconds > 0 && ticks >= run->prev_ticks) {
    stats.cpu_percent = 100.0 * static_cast<double>(ticks - run->prev_ticks) /
                        static_cast<double>(::sysconf(_SC_CLK_TCK)) / seconds;
  }
  run->prev_ticks = ticks;
  run->prev_at = now;
  return stats;
}

}  // namespace iotwins::runtime
