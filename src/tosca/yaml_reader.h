// Reads YAML text into a tosca::Value tree. The only place that sees the YAML library
// (libyaml); its errors become yaml_syntax diagnostics with line:column.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "tosca/diagnostics.h"
#include "tosca/value.h"

namespace iotwins::tosca {

struct YamlLimits {
  size_t max_bytes = 16 << 20;      // one file
  size_t max_nodes = 500'000;       // after alias expansion (defeats "billion laughs"); ~12x a 1,000-node template
  size_t max_depth = 128;
};

// Plain scalars are typed by the YAML 1.2 core schema (null, bool, int, float, else string);
// quoted scalars are strings. `<<` merge keys are applied. Duplicate keys are reported.
// Returns nullopt (with a diagnostic) when the text is not usable at all.
std::optional<Value> read_yaml(std::string_view text, const Mark& file, Diagnostics& diag,
                               const YamlLimits& limits = {});

}  // namespace iotwins::tosca
