// Health checks of a running task: a TCP connect or an HTTP GET on 127.0.0.1, or a command that
// must exit 0. Each blocks for at most the check's timeout.
#pragma once

#include <string>

#include "core/result.h"
#include "runtime/task_spec.h"

namespace iotwins::runtime {

// ok when healthy; otherwise unavailable with what failed. kind none is always healthy.
Status run_health_check(const HealthCheck& check, const std::string& workdir);

}  // namespace iotwins::runtime
