#include "runtime/process_driver.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "core/clock.h"
#include "core/fs.h"
#include "core/log.h"
#include "sysinfo/procfs.h"

namespace iotwins::runtime {
namespace {

auto& logger() {
  static auto& log = log::get("runtime");
  return log;
}

constexpr auto kKillWait = std::chrono::seconds(5);

// Polls `done` until it holds or the deadline passes: the driver waiting for a process to go.
template <class F>
bool wait_until(F done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto step = std::chrono::milliseconds(1);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
    step = std::min(step * 2, std::chrono::milliseconds(50));
  }
  return true;
}

void signal_group(pid_t pid, int sig) {
  if (pid <= 0) return;
  if (::kill(-pid, sig) != 0) ::kill(pid, sig);
}

}  // namespace

std::string TaskExit::to_string() const {
  std::string s;
  if (signal != 0) {
    s = std::string("killed by signal ") + strsignal(signal);
  } else if (code < 0) {
    s = "exited (status unknown)";
  } else {
    s = "exited with code " + std::to_string(code);
  }
  if (!reason.empty()) s += ": " + reason;
  return s;
}

Result<ProcStat> read_proc_stat(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  auto text = sysinfo::procfs::read_text(path);
  if (!text) return make_error(Errc::not_found, "process " + std::to_string(pid) + " is not running");
  auto parsed = sysinfo::procfs::parse_pid_stat(*text);
  if (!parsed) return std::unexpected(std::move(parsed).error().context("parse " + path));
  ProcStat st;
  st.start_time = parsed->start_time;
  st.ticks = parsed->utime + parsed->stime;
  // After the last ')': " S ppid pgrp ..." (the command name may hold spaces and ')').
  size_t close = text->rfind(')');
  if (close != std::string::npos && close + 2 < text->size()) {
    st.state = (*text)[close + 2];
    int ppid = 0, pgrp = 0;
    if (std::sscanf(text->c_str() + close + 3, "%d %d", &ppid, &pgrp) == 2) st.pgrp = pgrp;
  }
  return st;
}

std::string task_dir(const DriverConfig& config, const std::string& task_id) {
  return join_path(config.tasks_dir, task_id);
}

std::string task_log_path(const std::string& dir, std::string_view stream) {
  return join_path(join_path(dir, "logs"), std::string(stream) + ".log");
}

ProcessDriver::~ProcessDriver() {
  // A Process still held would be killed by its destructor; tasks outlive the agent instead.
  std::lock_guard lock(mu_);
  for (auto& [id, task] : tasks_) task->child.release();
}

Result<std::string> ProcessDriver::stage_artifact(const TaskSpec& spec, const std::string& dir) {
  if (!config_.resolve_artifact) return make_error(Errc::unsupported, "no artifact source configured on this node");
  IOT_ASSIGN(std::string source, config_.resolve_artifact(spec.artifact_sha256));
  std::string target = join_path(dir, "artifact");
  ::unlink(target.c_str());
  if (::link(source.c_str(), target.c_str()) != 0) {
    // Another file system: copy.
    IOT_ASSIGN(std::string bytes, PosixFileSystem::instance().read_file(source));
    IOT_TRY(PosixFileSystem::instance().write_file_atomic(target, bytes));
  }
  if (::chmod(target.c_str(), 0755) != 0) return errno_error("chmod " + target, errno);
  return target;
}

Result<TaskHandle> ProcessDriver::start(const TaskSpec& spec) {
  {
    std::lock_guard lock(mu_);
    if (tasks_.contains(spec.id)) return make_error(Errc::already_exists, "task " + spec.id + " is running");
  }
  std::string dir = task_dir(config_, spec.id);
  IOT_TRY(PosixFileSystem::instance().create_dirs(join_path(dir, "logs")));
  auto options = command(spec, dir);
  if (!options) return std::unexpected(std::move(options).error().context("task " + spec.id));
  options->stdout_path = task_log_path(dir, "stdout");
  options->stderr_path = task_log_path(dir, "stderr");
  options->stdin_path = "/dev/null";  // never the agent's terminal or pipe
  options->new_process_group = true;
  options->die_with_parent = false;  // the task outlives an agent restart; recover() re-attaches
  auto child = Process::spawn(*options);
  if (!child) return std::unexpected(std::move(child).error().context("start task " + spec.id));
  auto task = std::make_unique<Running>();
  task->handle = {.task_id = spec.id, .driver = name(), .pid = child->pid()};
  if (auto st = read_proc_stat(child->pid())) task->handle.start_time = st->start_time;
  task->child = std::move(*child);
  task->dir = dir;
  TaskHandle handle = task->handle;
  std::lock_guard lock(mu_);
  tasks_[spec.id] = std::move(task);
  logger().info("task {} started by {} (pid {})", spec.id, name(), handle.pid);
  return handle;
}

std::optional<TaskExit> ProcessDriver::check(Running& task) {
  if (task.child.pid() > 0) {
    if (task.child.running()) return std::nullopt;
    auto st = *task.child.exit_status();
    return TaskExit{.code = st.code, .signal = st.signal};
  }
  // Re-attached: our child only if this very process started it (then reap it for its status).
  const pid_t pid = task.handle.pid;
  int raw = 0;
  if (::waitpid(pid, &raw, WNOHANG) == pid) {
    if (WIFEXITED(raw)) return TaskExit{.code = WEXITSTATUS(raw)};
    if (WIFSIGNALED(raw)) return TaskExit{.signal = WTERMSIG(raw)};
  }
  auto st = read_proc_stat(pid);
  if (!st || st->state == 'Z' || st->start_time != task.handle.start_time) return TaskExit{};
  return std::nullopt;
}

void ProcessDriver::rotate_logs(const Running& task) {
  for (std::string_view stream : {"stdout", "stderr"}) {
    std::string path = task_log_path(task.dir, stream);
    struct stat sb;
    if (::stat(path.c_str(), &sb) != 0 || static_cast<uint64_t>(sb.st_size) <= config_.log_max_bytes) continue;
    // Copy, then truncate: the task keeps its O_APPEND descriptor, whose writes land at the new end.
    auto bytes = PosixFileSystem::instance().read_file(path);
    if (!bytes || !PosixFileSystem::instance().write_file_atomic(path + ".1", *bytes) ||
        ::truncate(path.c_str(), 0) != 0) {
      logger().warn("task {}: could not rotate {}", task.handle.task_id, path);
    }
  }
}

std::optional<TaskExit> ProcessDriver::poll(const std::string& task_id) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return TaskExit{.reason = "not running on this driver"};
  rotate_logs(*it->second);
  auto exit = check(*it->second);
  if (exit) {
    signal_group(it->second->handle.pid, SIGKILL);  // what the leader left behind in its group
    tasks_.erase(it);
  }
  return exit;
}

Result<TaskExit> ProcessDriver::stop(const std::string& task_id, std::chrono::milliseconds grace) {
  std::unique_ptr<Running> task;
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) return make_error(Errc::not_found, "task " + task_id + " is not running");
    task = std::move(it->second);
    tasks_.erase(it);
  }
  before_stop(task->handle, grace);
  std::optional<TaskExit> exit = check(*task);
  if (!exit) {
    signal_group(task->handle.pid, SIGTERM);
    wait_until([&] { return (exit = check(*task)).has_value(); }, grace);
  }
  // Whatever is left of the group (the leader, or children it left behind) is killed.
  signal_group(task->handle.pid, SIGKILL);
  if (!exit && !wait_until([&] { return (exit = check(*task)).has_value(); }, kKillWait)) {
    return make_error(Errc::timeout, "task " + task_id + " (pid " + std::to_string(task->handle.pid) +
                                         ") did not end after SIGKILL");
  }
  logger().info("task {} stopped: {}", task_id, exit->to_string());
  return *exit;
}

Status ProcessDriver::recover(const TaskHandle& handle) {
  auto st = read_proc_stat(handle.pid);
  if (!st || st->state == 'Z') {
    return make_error(Errc::not_found, "task " + handle.task_id + ": pid " + std::to_string(handle.pid) + " has ended");
  }
  if (st->start_time != handle.start_time) {
    return make_error(Errc::not_found, "task " + handle.task_id + ": pid " + std::to_string(handle.pid) +
                                           " now belongs to another process (start time differs)");
  }
  auto task = std::make_unique<Running>();
  task->handle = handle;
  task->dir = task_dir(config_, handle.task_id);
  std::lock_guard lock(mu_);
  if (tasks_.contains(handle.task_id)) return make_error(Errc::already_exists, "task " + handle.task_id + " is tracked");
  tasks_[handle.task_id] = std::move(task);
  logger().info("task {} re-attached (pid {})", handle.task_id, handle.pid);
  return ok();
}

void ProcessDriver::release(const std::string& task_id) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return;
  it->second->child.release();
  tasks_.erase(it);
}

Result<TaskStats> ProcessDriver::stats(const std::string& task_id) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return make_error(Errc::not_found, "task " + task_id + " is not running");
  Running& task = *it->second;
  // Every process of the task's group (a shell's children, bwrap's sandboxed process).
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return errno_error("list /proc", errno);
  uint64_t ticks = 0, pages = 0;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    auto st = read_proc_stat(static_cast<pid_t>(pid));
    if (!st || st->pgrp != task.handle.pid) continue;
    ticks += st->ticks;
    if (auto statm = sysinfo::procfs::read_text("/proc/" + std::to_string(pid) + "/statm")) {
      if (auto resident = sysinfo::procfs::parse_statm_resident(*statm)) pages += *resident;
    }
  }
  ::closedir(proc);
  TaskStats stats;
  stats.rss_bytes = pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const int64_t now = SystemClock::instance().steady_ns();
  if (task.prev_at_ns > 0 && now > task.prev_at_ns && ticks >= task.prev_ticks) {
    const double seconds = static_cast<double>(now - task.prev_at_ns) / 1e9;
    stats.cpu_percent = 100.0 * static_cast<double>(ticks - task.prev_ticks) /
                        static_cast<double>(::sysconf(_SC_CLK_TCK)) / seconds;
  }
  task.prev_ticks = ticks;
  task.prev_at_ns = now;
  return stats;
}

Result<std::string> read_task_log(const DriverConfig& config, const std::string& task_id, std::string_view stream,
                                  size_t max_bytes) {
  if (stream != "stdout" && stream != "stderr") {
    return make_error(Errc::invalid_argument, "log stream must be stdout or stderr, got '" + std::string(stream) + "'");
  }
  TaskSpec probe{.id = task_id, .driver = "exec", .command = "/x"};
  IOT_TRY(validate_task_spec(probe));  // the id names a directory: no traversal
  std::string path = task_log_path(task_dir(config, task_id), stream);
  auto& fs = PosixFileSystem::instance();
  IOT_ASSIGN(bool present, fs.exists(path));
  if (!present) return make_error(Errc::not_found, "task " + task_id + " has no " + std::string(stream) + " log");
  std::string text;
  IOT_ASSIGN(bool rotated, fs.exists(path + ".1"));
  if (rotated) {
    IOT_ASSIGN(text, fs.read_file(path + ".1"));
  }
  IOT_ASSIGN(std::string current, fs.read_file(path));
  text += current;
  if (text.size() > max_bytes) text.erase(0, text.size() - max_bytes);
  return text;
}

}  // namespace iotwins::runtime
