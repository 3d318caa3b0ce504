#include "api/twin_http.h"

#include <charconv>

#include "api/problem.h"
#include "twin/codec.h"

namespace iotwins::api {

Result<std::optional<int64_t>> if_match_version(const Request& request) {
  const std::string* h = request.header("If-Match");
  if (!h) return std::optional<int64_t>();
  std::string_view v = *h;
  if (v.starts_with("W/")) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < 0) {
    return make_error(Errc::invalid_argument, "If-Match must be the twin's version, e.g. \"3\", not '" + *h + "'");
  }
  return std::optional<int64_t>(out);
}

nlohmann::json twin_body(const twin::TwinDocument& doc, const std::string& node) {
  nlohmann::json body = twin::to_json(doc);
  body["node"] = node.empty() ? nlohmann::json(nullptr) : nlohmann::json(node);
  return body;
}

Response twin_response(int status, const twin::TwinDocument& doc, const std::string& node) {
  Response r = json_response(status, twin_body(doc, node));
  r.headers.emplace("ETag", "\"" + std::to_string(doc.version) + "\"");
  return r;
}

Result<nlohmann::json> twin_json_body(const Request& request) {
  if (request.body.empty()) return make_error(Errc::invalid_argument, "the request needs a JSON body");
  return twin::parse_json_text(request.body);
}

}  // namespace iotwins::api
