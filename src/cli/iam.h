// What the login and identity commands share.
#pragma once

#include <string>

#include "core/config.h"

namespace iotwins::cli {

// The password: the first line of stdin with --password-stdin, else asked on the terminal
// without echo (invalid_argument when there is no terminal, or it is empty).
Result<std::string> read_password(const Config& config, const std::string& prompt);

}  // namespace iotwins::cli
