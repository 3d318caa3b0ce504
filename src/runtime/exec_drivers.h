// The process drivers: exec (a process in its own group), sandbox (the same inside bubblewrap
// with private mounts, no network unless asked, rlimits) and oci (podman, where it works).
#pragma once

#include <mutex>
#include <optional>

#include "runtime/process_driver.h"

namespace iotwins::runtime {

class ExecDriver : public ProcessDriver {
 public:
  using ProcessDriver::ProcessDriver;
  std::string name() const override { return "exec"; }
  Fingerprint fingerprint() override { return {.available = true}; }

 protected:
  Result<ProcessOptions> command(const TaskSpec& spec, const std::string& dir) override;
  // The program, its arguments, environment and working directory, shared with sandbox.
  Result<ProcessOptions> plain_command(const TaskSpec& spec, const std::string& dir);
};

class SandboxDriver : public ExecDriver {
 public:
  using ExecDriver::ExecDriver;
  std::string name() const override { return "sandbox"; }
  Fingerprint fingerprint() override;

 protected:
  Result<ProcessOptions> command(const TaskSpec& spec, const std::string& dir) override;

 private:
  std::once_flag probed_;
  Fingerprint fingerprint_;
  std::string bwrap_;
};

class OciDriver : public ProcessDriver {
 public:
  using ProcessDriver::ProcessDriver;
  std::string name() const override { return "oci"; }
  Fingerprint fingerprint() override;

 protected:
  Result<ProcessOptions> command(const TaskSpec& spec, const std::string& dir) override;
  void before_stop(const TaskHandle& handle, std::chrono::milliseconds grace) override;

 private:
  std::once_flag probed_;
  Fingerprint fingerprint_;
  std::string podman_;
};

// The bubblewrap command line for a sandboxed task (exposed for tests).
std::vector<std::string> sandbox_argv(const std::string& bwrap, const std::string& prlimit, const TaskSpec& spec,
                                      const std::string& dir, const ProcessOptions& inner);

}  // namespace iotwins::runtime
