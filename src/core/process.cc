#include "core/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <thread>

#include "core/config.h"

namespace iotwins {

std::string ExitStatus::to_string() const {
  if (signal != 0) return std::string("killed by signal ") + strsignal(signal);
  return "exited with code " + std::to_string(code);
}

Result<Process> Process::spawn(const ProcessOptions& options) {
  if (options.argv.empty()) return make_error(Errc::invalid_argument, "spawn: empty argv");
  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<std::string> env_strings;
  {
    Environment env = environment_from_process();
    for (const auto& kv : options.env) {
      size_t eq = kv.find('=');
      if (eq == std::string::npos) continue;
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out_fd = -1, err_fd = -1, in_fd = -1;
  auto close_fds = [&] {
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0 && err_fd != out_fd) ::close(err_fd);
    if (in_fd >= 0) ::close(in_fd);
  };
  if (!options.stdin_path.empty()) {
    in_fd = ::open(options.stdin_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in_fd < 0) return errno_error("open " + options.stdin_path, errno);
  }
  if (!options.stdout_path.empty()) {
    out_fd = ::open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      int err = errno;
      close_fds();
      return errno_error("open " + options.stdout_path, err);
    }
  }
  if (options.stderr_path == "stdout") {
    err_fd = out_fd;
  } else if (!options.stderr_path.empty()) {
    err_fd = ::open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err_fd < 0) {
      close_fds();
      return errno_error("open " + options.stderr_path, errno);
    }
  }
  // A pipe tells the parent whether exec worked (it closes on exec, or carries errno).
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
    close_fds();
    return errno_error("pipe", errno);
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    close_fds();
    ::close(status_pipe[0]);
    ::close(status_pipe[1]);
    return errno_error("fork", err);
  }
  if (pid == 0) {
    ::close(status_pipe[0]);
    if (options.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    }
    if (options.new_process_group) ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (in_fd >= 0) ::dup2(in_fd, STDIN_FILENO);
    if (out_fd >= 0) ::dup2(out_fd, STDOUT_FILENO);
    if (err_fd >= 0) ::dup2(err_fd, STDERR_FILENO);
    if (!options.working_dir.empty() && ::chdir(options.working_dir.c_str()) != 0) {
      int err = errno;
      (void)!::write(status_pipe[1], &err, sizeof err);
      ::_exit(127);
    }
    ::execvpe(argv[0], argv.data(), envp.data());
    int err = errno;
    (void)!::write(status_pipe[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(status_pipe[1]);
  close_fds();
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(status_pipe[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(status_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    ::waitpid(pid, nullptr, 0);
    return errno_error("start " + options.argv[0], child_errno);
  }
  return Process(pid, options.new_process_group);
}

Process::Process(Process&& other) noexcept
    : pid_(other.pid_), group_(other.group_), status_(other.status_) {
  other.pid_ = -1;
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !status_) {
      signal(SIGKILL);
      reap(true);
    }
    pid_ = other.pid_;
    group_ = other.group_;
    status_ = other.status_;
    other.pid_ = -1;
  }
  return *this;
}

Process::~Process() {
  if (pid_ > 0 && !status_) {
    signal(SIGKILL);
    reap(true);
  }
}

bool Process::reap(bool block) {
  if (status_) return true;
  if (pid_ <= 0) return true;
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  ExitStatus es;
  if (r < 0) {
    es.code = -1;  // already reaped elsewhere: nothing more to know
  } else if (WIFEXITED(st)) {
    es.code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    es.signal = WTERMSIG(st);
  }
  status_ = es;
  return true;
}

pid_t Process::release() {
  pid_t pid = pid_;
  pid_ = -1;
  return pid;
}

bool Process::running() { return pid_ > 0 && !reap(false); }

Status Process::signal(int sig) {
  if (pid_ <= 0 || status_) return ok();
  int rc = group_ ? ::kill(-pid_, sig) : ::kill(pid_, sig);
  if (rc != 0 && group_) rc = ::kill(pid_, sig);  // the group may be gone already
  if (rc != 0 && errno != ESRCH) return errno_error("signal " + std::to_string(pid_), errno);
  return ok();
}

std::optional<ExitStatus> Process::wait_for(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto step = std::chrono::milliseconds(1);
  while (!reap(false)) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(step);
    step = std::min(step * 2, std::chrono::milliseconds(50));
  }
  return status_;
}

ExitStatus Process::wait() {
  reap(true);
  return *status_;
}

ExitStatus Process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return ExitStatus{};
  if (!status_) {
    signal(SIGTERM);
    if (!wait_for(grace)) {
      signal(SIGKILL);
      reap(true);
    }
  }
  return *status_;
}

std::string self_executable() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "iotwins";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace iotwins
