// Child processes: iotwins up starts the server and agents, an agent supervises its Mosquitto
// broker and exec tasks, e2e tests start the real binary. A child gets SIGTERM when its parent
// dies (PR_SET_PDEATHSIG), so a killed parent leaves no orphans.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace iotwins {

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is the program; a path or a name found in PATH
  std::vector<std::string> env;   // "K=V" added to (or overriding) the parent's environment
  std::string working_dir;        // empty: the parent's
  std::string stdout_path;        // empty: inherit; otherwise appended to this file
  std::string stderr_path;        // empty: inherit; "stdout": same as stdout
  bool new_process_group = true;  // so signals to the parent's group (Ctrl-C) reach us first
  bool die_with_parent = true;    // false: survives us (agent tasks re-attached after a restart)
  std::string stdin_path;         // empty: inherit; otherwise read from this file ("/dev/null")
};

struct ExitStatus {
  int code = -1;    // exit code when exited normally
  int signal = 0;   // terminating signal, 0 if exited
  bool exited() const { return signal == 0; }
  std::string to_string() const;
};

class Process {
 public:
  static Result<Process> spawn(const ProcessOptions& options);

  Process() = default;
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // Kills (SIGKILL) and reaps a child still running: a Process never leaks a child.
  ~Process();

  pid_t pid() const { return pid_; }
  bool running();
  // Sends a signal to the child (its whole group when it has one).
  Status signal(int sig);
  // Waits until it exits or the timeout passes (nullopt: still running).
  std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout);
  ExitStatus wait();
  // SIGTERM, wait up to grace, then SIGKILL; returns how it ended.
  ExitStatus stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  std::optional<ExitStatus> exit_status() const { return status_; }
  // Forgets the child without stopping it (it keeps running; someone else tracks it by pid).
  pid_t release();

 private:
  explicit Process(pid_t pid, bool group) : pid_(pid), group_(group) {}
  bool reap(bool block);

  pid_t pid_ = -1;
  bool group_ = false;
  std::optional<ExitStatus> status_;
};

// The path of the running executable (/proc/self/exe), to start more of ourselves.
std::string self_executable();

}  // namespace iotwins
