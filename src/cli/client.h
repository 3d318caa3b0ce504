// What CLI commands share to talk to the server: a client from --server/--ca-file and a call
// that turns non-2xx answers into one clear error line.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>

#include "api/http_client.h"
#include "core/config.h"

namespace iotwins::cli {

Result<std::unique_ptr<api::HttpClient>> make_client(const Config& config);
// Sends the request and parses a JSON answer; errors carry the server's problem detail.
Result<nlohmann::json> call(api::HttpClient& client, api::Method method, const std::string& path,
                            const std::string& body = "");
// Prints "iotwins <cmd>: <message>" on stderr and returns 1.
int report(const std::string& command, const Error& error);

}  // namespace iotwins::cli
