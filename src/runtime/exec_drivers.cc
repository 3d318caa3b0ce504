#include "runtime/exec_drivers.h"

#include <sys/stat.h>

#include <filesystem>

#include "core/fs.h"
#include "core/log.h"
#include "runtime/probe.h"

namespace iotwins::runtime {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

// Read-only system directories a sandboxed program needs (a symlink such as Debian's /bin ->
// usr/bin is recreated as the same symlink).
constexpr const char* kSystemDirs[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"};

// The runtime program found in PATH and able to run `probe_args`; `found` gets its path.
Fingerprint probe_runtime(const std::string& program, const std::string& path, std::vector<std::string> probe_args,
                          const std::string& failure, std::string& found) {
  auto binary = find_program(program, path);
  if (!binary) return {.available = false, .reason = program + " not found in PATH"};
  found = *binary;
  probe_args.insert(probe_args.begin(), found);
  auto st = run_probe(probe_args);
  if (!st) return {.available = false, .reason = failure + ": " + st.error().message()};
  return {.available = true};
}

// A task with streams runs under the stream bridge: its records in on stdin, out on stdout
// (cli/cmd_stream_bridge.cc). The bridge stays outside any sandbox: it needs the node's broker.
void bridge(const DriverConfig& config, const TaskSpec& spec, ProcessOptions& options) {
  if (config.stream_bridge.empty() || (spec.inputs.empty() && spec.outputs.empty())) return;
  std::vector<std::string> argv = config.stream_bridge;
  for (const auto& [flag, list] : {std::pair{"--in", &spec.inputs}, std::pair{"--out", &spec.outputs}}) {
    for (const auto& address : *list) {
      auto a = parse_stream_address(address);
      if (a) argv.insert(argv.end(), {flag, a->stream});
    }
  }
  argv.push_back("--");
  argv.insert(argv.end(), options.argv.begin(), options.argv.end());
  options.argv = std::move(argv);
}

}  // namespace

Result<ProcessOptions> ExecDriver::plain_command(const TaskSpec& spec, const std::string& dir) {
  ProcessOptions options;
  std::string artifact;
  if (!spec.artifact_sha256.empty()) {
    IOT_ASSIGN(artifact, stage_artifact(spec, dir));
  }
  options.argv.push_back(spec.command.empty() ? artifact : spec.command);
  options.argv.insert(options.argv.end(), spec.args.begin(), spec.args.end());
  for (const auto& [k, v] : spec.env) options.env.push_back(k + "=" + v);
  options.env.push_back("IOTWINS_TASK_ID=" + spec.id);
  options.env.push_back("IOTWINS_TASK_DIR=" + dir);
  if (!artifact.empty()) options.env.push_back("IOTWINS_ARTIFACT=" + artifact);
  options.env.push_back("IOTWINS_INPUTS=" + joined(spec.inputs));
  options.env.push_back("IOTWINS_OUTPUTS=" + joined(spec.outputs));
  options.working_dir = spec.workdir.empty() ? dir : join_path(dir, spec.workdir);
  IOT_TRY(PosixFileSystem::instance().create_dirs(options.working_dir));
  return options;
}

Result<ProcessOptions> ExecDriver::command(const TaskSpec& spec, const std::string& dir) {
  IOT_ASSIGN(ProcessOptions options, plain_command(spec, dir));
  bridge(config_, spec, options);
  return options;
}

Fingerprint SandboxDriver::fingerprint() {
  std::call_once(probed_, [&] {
    fingerprint_ = probe_runtime("bwrap", config_.path,
                                 {"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid",
                                  "--unshare-net", "--die-with-parent", "/bin/true"},
                                 "bubblewrap cannot start a sandbox here", bwrap_);
  });
  return fingerprint_;
}

std::vector<std::string> sandbox_argv(const std::string& bwrap, const std::string& prlimit, const TaskSpec& spec,
                                      const std::string& dir, const ProcessOptions& inner) {
  std::vector<std::string> argv = {bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts"};
  if (!spec.network) argv.push_back("--unshare-net");
  std::error_code ec;
  for (const char* d : kSystemDirs) {
    if (std::filesystem::is_symlink(d, ec)) {
      argv.insert(argv.end(), {"--symlink", std::filesystem::read_symlink(d, ec).string(), d});
    } else if (std::filesystem::is_directory(d, ec)) {
      argv.insert(argv.end(), {"--ro-bind", d, d});
    }
  }
  argv.insert(argv.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", dir, dir,
                           "--chdir", inner.working_dir, "--clearenv",
                           "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", dir});
  for (const auto& kv : inner.env) {
    size_t eq = kv.find('=');
    argv.insert(argv.end(), {"--setenv", kv.substr(0, eq), kv.substr(eq + 1)});
  }
  argv.push_back("--");
  const auto& r = spec.resources;
  if (r.memory_bytes > 0 || r.cpu_seconds > 0 || r.open_files > 0) {
    argv.push_back(prlimit);
    if (r.memory_bytes > 0) argv.push_back("--as=" + std::to_string(r.memory_bytes));
    if (r.cpu_seconds > 0) argv.push_back("--cpu=" + std::to_string(r.cpu_seconds));
    if (r.open_files > 0) argv.push_back("--nofile=" + std::to_string(r.open_files));
    argv.push_back("--");
  }
  argv.insert(argv.end(), inner.argv.begin(), inner.argv.end());
  return argv;
}

Result<ProcessOptions> SandboxDriver::command(const TaskSpec& spec, const std::string& dir) {
  Fingerprint fp = fingerprint();
  if (!fp.available) return make_error(Errc::unsupported, "sandbox driver unavailable: " + fp.reason);
  IOT_ASSIGN(ProcessOptions inner, plain_command(spec, dir));
  auto prlimit = find_program("prlimit", config_.path);
  const auto& r = spec.resources;
  if (!prlimit && (r.memory_bytes > 0 || r.cpu_seconds > 0 || r.open_files > 0)) {
    return make_error(Errc::unsupported, "resource limits need prlimit (util-linux), not found in PATH");
  }
  ProcessOptions outer;
  outer.argv = sandbox_argv(bwrap_, prlimit.value_or(""), spec, dir, inner);
  bridge(config_, spec, outer);
  return outer;
}

Fingerprint OciDriver::fingerprint() {
  std::call_once(probed_, [&] {
    // No image is pulled: the host's root is the container's root.
    fingerprint_ = probe_runtime("podman", config_.path, {"run", "--rm", "--network=none", "--rootfs", "/", "/bin/true"},
                                 "podman cannot start a container here", podman_);
  });
  return fingerprint_;
}

Result<ProcessOptions> OciDriver::command(const TaskSpec& spec, const std::string& dir) {
  Fingerprint fp = fingerprint();
  if (!fp.available) return make_error(Errc::unsupported, "oci driver unavailable: " + fp.reason);
  ProcessOptions options;
  options.argv = {podman_, "run", "--rm", "--name", "iotwins-" + spec.id, "--label", "iotwins.task=" + spec.id,
                  "--label", "iotwins.deployment=" + spec.deployment};
  if (!spec.network) options.argv.push_back("--network=none");
  if (spec.resources.memory_bytes > 0) options.argv.push_back("--memory=" + std::to_string(spec.resources.memory_bytes));
  if (spec.resources.cpu > 0) options.argv.push_back("--cpus=" + std::to_string(spec.resources.cpu));
  for (const auto& [k, v] : spec.env) options.argv.insert(options.argv.end(), {"--env", k + "=" + v});
  options.argv.insert(options.argv.end(), {"--env", "IOTWINS_TASK_ID=" + spec.id, spec.image});
  options.argv.insert(options.argv.end(), spec.args.begin(), spec.args.end());
  options.working_dir = dir;
  return options;
}

void OciDriver::before_stop(const TaskHandle& handle, std::chrono::milliseconds grace) {
  if (podman_.empty()) return;
  auto seconds = std::to_string(std::max<int64_t>(1, grace.count() / 1000));
  auto st = run_probe({podman_, "stop", "-t", seconds, "iotwins-" + handle.task_id});
  if (!st) log::get("runtime").warn("podman stop iotwins-{}: {}", handle.task_id, st.error().message());
}

}  // namespace iotwins::runtime
