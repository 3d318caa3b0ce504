// Shape checks and measurements of JSON values shared by documents, updates and attributes:
// the compact serialized size, and a bounded walk that enforces Limits and names the path.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "twin/limits.h"

namespace iotwins::twin::detail {

// Bytes of the compact serialization (what json::dump() returns), computed without building
// it. Only call on values already checked by check_value: it recurses.
std::size_t json_size(const nlohmann::json& value);

// Bytes a string occupies in the compact serialization, quotes included.
std::size_t json_string_size(std::string_view s);

// Checks a key: non-empty, at most max_key_bytes, no '.' (paths are dotted) and no control
// characters. `path` is the path of the key itself, used in the error.
Status check_key(std::string_view key, const std::string& path, const Limits& limits);

// Checks a value found at `path` whose depth is `depth` (a key directly under a section has
// depth 1): nesting, keys and keys per object, recursively. Bounded: stops at max_depth.
Status check_value(const nlohmann::json& value, std::string& path, int depth,
                   const Limits& limits);

// Appends ".key" to path; pop_key undoes it.
void push_key(std::string& path, std::string_view key);
void push_index(std::string& path, std::size_t index);
void pop_to(std::string& path, std::size_t size);

}  // namespace iotwins::twin::detail
