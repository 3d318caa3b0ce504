// Checks on everything a caller hands the registry. Each error is invalid_argument (or
// too_large) and names the field, so a bad request changes nothing and says why.
#pragma once

#include <string>
#include <string_view>

#include "registry/types.h"

namespace iotwins::registry {

// 1..128 characters of [A-Za-z0-9._-], starting with a letter or digit (it is a URL segment).
Status validate_model_name(std::string_view name);
// Metrics, lineage and the model bytes; returns the artifact's detector kind. The bytes must be
// a whole, checksummed artifact that analytics can load (a row detector or a series detector),
// and `v.kind`, when given, must be that kind.
Result<std::string> validate_new_version(const NewVersion& v, uint64_t max_model_bytes);
// 1..128 printable characters (who promotes or rolls back).
Status validate_actor(std::string_view field, std::string_view who);

}  // namespace iotwins::registry
