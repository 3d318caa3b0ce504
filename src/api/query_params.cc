#include "api/query_params.h"

#include <algorithm>
#include <charconv>
#include <string>

namespace iotwins::api {

Result<int64_t> int_param(const Request& req, const char* name, int64_t fallback, int64_t min, int64_t max) {
  const std::string* v = req.query_param(name);
  if (!v) return fallback;
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < min || out > max) {
    return make_error(Errc::invalid_argument, std::string("query parameter '") + name + "' must be an integer from " +
                                                  std::to_string(min) + " to " + std::to_string(max));
  }
  return out;
}

Status only_params(const Request& req, std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : req.query) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      std::string list;
      for (auto n : known) list += (list.empty() ? "" : ", ") + std::string(n);
      return make_error(Errc::invalid_argument, "unknown query parameter '" + k + "' (accepted: " + list + ")");
    }
  }
  return ok();
}

}  // namespace iotwins::api
