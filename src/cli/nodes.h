// Pieces of `iotwins nodes` that live in their own files.
#pragma once

#include <string>

#include "api/http_client.h"
#include "core/config.h"

namespace iotwins::cli {

// `iotwins nodes plan FILE`: exit 0 when every request is placed, 1 otherwise.
int run_nodes_plan(const Config& config, const std::string& file);

// `iotwins nodes join-token` (prints the token on stdout), `join-tokens`, `revoke ID`.
int run_nodes_join_token(api::HttpClient& client, const Config& config);
int run_nodes_join_tokens(api::HttpClient& client, const Config& config);
int run_nodes_revoke(api::HttpClient& client, const std::string& id);

}  // namespace iotwins::cli
