// Query-parameter checks the REST routes share: each error is invalid_argument naming the
// parameter and what it accepts, so a typo never silently widens a query.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "api/http.h"
#include "core/result.h"

namespace iotwins::api {

// The integer query parameter `name` in [min, max], or `fallback` when absent.
Result<int64_t> int_param(const Request& req, const char* name, int64_t fallback, int64_t min, int64_t max);
// invalid_argument for a query parameter not in `known` (the message lists them).
Status only_params(const Request& req, std::initializer_list<std::string_view> known);

}  // namespace iotwins::api
