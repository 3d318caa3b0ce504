// Whether this host can start OCI containers (podman) and bubblewrap sandboxes. Presence of the
// binary is not enough: on this machine kind crun fails on setrlimit and on a hybrid cgroup
// layout (FIELD-NOTES), so each runtime is asked to start something real.
#pragma once

#include <optional>
#include <string>

namespace iotwins::sysinfo {

struct RuntimeSupport {
  bool can_run_containers = false;
  bool has_bubblewrap = false;
};

// The first executable file called name in a PATH-style list ("/usr/bin:/bin").
std::optional<std::string> find_in_path(const std::string& name, const std::string& path);

// Starts `podman run --rm --rootfs / ... true` (no image needed, nothing pulled) and
// `bwrap --ro-bind / / ... true`; each must exit 0 within 30 s. Takes up to a second per
// runtime, so callers cache the answer.
RuntimeSupport probe_runtimes(const std::string& path);

}  // namespace iotwins::sysinfo
