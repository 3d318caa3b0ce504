// application/problem+json answers (RFC 9457) with a stable `type` (the error code name).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "api/http.h"
#include "core/result.h"

namespace iotwins::api {

Response problem(int status, std::string_view type, std::string_view title, std::string_view detail);
Response problem(const Error& error);
Response json_response(int status, const nlohmann::json& body);

// Parses a JSON request body; on failure a 400 problem saying where (line, column, byte).
Result<nlohmann::json> parse_json_body(const Request& request);
// A string member of a JSON object body: "" when absent or null (an error when `required`),
// an error naming it when it is not a string.
Result<std::string> string_member(const nlohmann::json& body, const char* name, bool required);

// Turns a Result into a response: the value through `render` on success, a problem otherwise.
Response problem_or(const Status& status, int ok_status = 204);

}  // namespace iotwins::api
