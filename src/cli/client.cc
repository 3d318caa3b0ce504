#include "cli/client.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/credentials.h"

namespace iotwins::cli {

Result<std::unique_ptr<api::HttpClient>> make_client(const Config& config) {
  api::ClientOptions o;
  o.ca_file = config.str("ca-file");
  o.request_timeout = std::chrono::seconds(30);
  IOT_ASSIGN(o.bearer_token, bearer_token_for(config.str("server"), config.str("token"), o));
  return api::HttpClient::create(config.str("server"), o);
}

Result<nlohmann::json> call(api::HttpClient& client, api::Method method, const std::string& path,
                            const std::string& body) {
  auto res = client.request(method, path, body);
  if (!res) {
    return std::unexpected(std::move(res.error()).context(
        "cannot reach the server at " + client.base_url() + " (is it running? set --server or IOTWINS_SERVER)"));
  }
  if (!res->ok()) return std::unexpected(api::error_from_response(*res, std::string(api::to_string(method)) + " " + path));
  if (res->body.empty()) return nlohmann::json(nullptr);
  try {
    return nlohmann::json::parse(res->body);
  } catch (const nlohmann::json::exception& e) {
    return make_error(Errc::internal, "the server's answer to " + path + " is not JSON: " + e.what());
  }
}

int report(const std::string& command, const Error& error) {
  std::fprintf(stderr, "iotwins %s: %s\n", command.c_str(), error.message().c_str());
  return 1;
}

}  // namespace iotwins::cli
