// Parts of `iotwins twins` in their own files.
#pragma once

#include <span>
#include <string>

#include "api/http_client.h"
#include "core/config.h"

namespace iotwins::cli {

// twins watch: the change feed (SSE), one line per change, until interrupted.
int watch_twins(api::HttpClient& client, const Config& config);
// twins models [ls | get ID | put FILE | delete ID].
int twin_models(api::HttpClient& client, const Config& config, std::span<const std::string> args);

}  // namespace iotwins::cli
