#include "sysinfo/runtime.h"

#include <unistd.h>

#include <chrono>
#include <vector>

#include "core/log.h"
#include "core/process.h"

namespace iotwins::sysinfo {
namespace {

constexpr auto kProbeTimeout = std::chrono::seconds(30);

// Runs argv with output discarded; true when it exits 0 in time.
bool starts(const std::vector<std::string>& argv) {
  static auto& log = log::get("sysinfo");
  auto child = Process::spawn(
      {.argv = argv, .stdout_path = "/dev/null", .stderr_path = "stdout", .new_process_group = true});
  if (!child) {
    log.info("runtime probe {}: {}", argv[0], child.error().to_string());
    return false;
  }
  auto status = child->wait_for(kProbeTimeout);
  if (!status) {
    child->stop(std::chrono::seconds(1));
    log.info("runtime probe {}: no answer in {} s", argv[0], kProbeTimeout.count());
    return false;
  }
  if (!status->exited() || status->code != 0) {
    log.info("runtime probe {}: {}", argv[0], status->to_string());
    return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> find_in_path(const std::string& name, const std::string& path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return std::nullopt;
}

RuntimeSupport probe_runtimes(const std::string& path) {
  RuntimeSupport support;
  if (auto podman = find_in_path("podman", path)) {
    support.can_run_containers =
        starts({*podman, "run", "--rm", "--network=none", "--rootfs", "/", "/bin/true"});
  }
  if (auto bwrap = find_in_path("bwrap", path)) {
    support.has_bubblewrap = starts({*bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                                     "--unshare-pid", "--die-with-parent", "/bin/true"});
  }
  return support;
}

}  // namespace iotwins::sysinfo
