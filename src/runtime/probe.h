// Run-time capability probes for drivers: presence of a binary is not enough (FIELD-NOTES:
// podman is installed but crun cannot start a container here), so each driver starts something
// real once and keeps the answer with the reason.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace iotwins::runtime {

// The first executable called name in PATH-style `path` (empty: $PATH).
std::optional<std::string> find_program(const std::string& name, const std::string& path);

// Runs argv (output captured) and succeeds when it exits 0 within 30 s; otherwise the error
// says how it ended and the last line it printed.
Status run_probe(const std::vector<std::string>& argv);

}  // namespace iotwins::runtime
