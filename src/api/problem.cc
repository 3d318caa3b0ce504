#include "api/problem.h"

#include <nlohmann/json.hpp>

namespace iotwins::api {

Response problem(int status, std::string_view type, std::string_view title, std::string_view detail) {
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  nlohmann::json body = {{"type", "https://iotwins.dev/problems/" + std::string(type)},
                         {"title", title},
                         {"status", status},
                         {"detail", detail},
                         {"code", type}};
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response problem(const Error& error) {
  int status = http_status(error.code());
  return problem(status, errc_name(error.code()), reason_phrase(status), error.message());
}

Response json_response(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Result<std::string> string_member(const nlohmann::json& body, const char* name, bool required) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) return make_error(Errc::invalid_argument, std::string("'") + name + "' is required");
    return std::string();
  }
  if (!it->is_string()) return make_error(Errc::invalid_argument, std::string("'") + name + "' must be a string");
  return it->get<std::string>();
}

Result<nlohmann::json> parse_json_body(const Request& request) {
  if (request.body.empty()) return make_error(Errc::invalid_argument, "the request body is empty; expected JSON");
  try {
    return nlohmann::json::parse(request.body);
  } catch (const nlohmann::json::parse_error& e) {
    // Line and column from the byte offset, for people who post files.
    size_t line = 1, col = 1;
    for (size_t i = 0; i + 1 < e.byte && i < request.body.size(); ++i) {
      if (request.body[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    if (size_t p = what.find("parse error"); p != std::string::npos) what = what.substr(p);
    return make_error(Errc::invalid_argument, "malformed JSON at line " + std::to_string(line) +
                                                  ", column " + std::to_string(col) + " (byte " +
                                                  std::to_string(e.byte) + "): " + what);
  }
}

Response problem_or(const Status& status, int ok_status) {
  if (!status) return problem(status.error());
  Response r;
  r.status = ok_status;
  return r;
}

}  // namespace iotwins::api
