// Pieces of `iotwins nodes` that live in their own files.
#pragma once

#include <string>

#include "core/config.h"

namespace iotwins::cli {

// `iotwins nodes plan FILE`: exit 0 when every request is placed, 1 otherwise.
int run_nodes_plan(const Config& config, const std::string& file);

}  // namespace iotwins::cli
