// `iotwins server`: the control plane. Wiring only — every capability lives in its module.
#pragma once

#include <span>
#include <string>

#include "core/config.h"

namespace iotwins::server {

// The command's flags, environment variables and config file keys.
ConfigSpec config_spec();
// Runs until SIGINT/SIGTERM; returns the process exit code.
int run(const Config& config);

}  // namespace iotwins::server
