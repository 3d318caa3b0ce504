// What the tasks share to talk to the server: a GET or a write whose answer must be 2xx JSON.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "api/http_client.h"

namespace iotwins::tasks {

inline Result<nlohmann::json> request_json(api::HttpClient& server, api::Method method, const std::string& path,
                                           const std::string& body = "",
                                           const std::string& content_type = "application/json") {
  IOT_ASSIGN(auto res, server.request(method, path, body, content_type));
  if (!res.ok()) return std::unexpected(api::error_from_response(res, std::string(api::to_string(method)) + " " + path));
  auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (j.is_discarded()) {
    if (method != api::Method::GET) return nlohmann::json::object();
    return make_error(Errc::unavailable, "GET " + path + ": the server answered with no JSON");
  }
  return j;
}

inline Result<nlohmann::json> get_json(api::HttpClient& server, const std::string& path) {
  return request_json(server, api::Method::GET, path);
}

}  // namespace iotwins::tasks
