// iotwins objects: the verbs share these (cmd_objects.cc: dispatch, ls, get; objects_put.cc: put).
#pragma once

#include "api/http_client.h"
#include "core/config.h"

namespace iotwins::cli {

// Sends FILE to the local agent in chunks, skipping what the agent already holds (resumable).
int objects_put(const Config& config, const std::string& file);

}  // namespace iotwins::cli
