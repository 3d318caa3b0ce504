#include "tosca/functions.h"

#include <array>

namespace iotwins::tosca {

namespace {
constexpr std::array<std::pair<std::string_view, FunctionKind>, 9> kFunctions = {{
    {"get_input", FunctionKind::get_input},
    {"get_property", FunctionKind::get_property},
    {"get_attribute", FunctionKind::get_attribute},
    {"get_operation_output", FunctionKind::get_operation_output},
    {"get_nodes_of_type", FunctionKind::get_nodes_of_type},
    {"get_artifact", FunctionKind::get_artifact},
    {"concat", FunctionKind::concat},
    {"join", FunctionKind::join},
    {"token", FunctionKind::token},
}};
}  // namespace

std::string_view function_name(FunctionKind kind) { return kFunctions[static_cast<size_t>(kind)].first; }

std::optional<FunctionKind> function_kind(const Value& v) {
  if (!v.is_map() || v.as_map().size() != 1) return std::nullopt;
  const std::string& key = v.as_map().front().first;
  // Called on every map of every value tree: reject non-function keys without comparisons.
  if (key.size() < 4 || key.size() > 20) return std::nullopt;
  if (key[0] != 'g' && key[0] != 'c' && key[0] != 'j' && key[0] != 't') return std::nullopt;
  for (const auto& [name, kind] : kFunctions)
    if (name == key) return kind;
  return std::nullopt;
}

const Value& function_args(const Value& v) { return v.as_map().front().second; }

bool contains_function(const Value& v) {
  if (function_kind(v)) return true;
  if (v.is_list())
    for (const auto& e : v.as_list())
      if (contains_function(e)) return true;
  if (v.is_map())
    for (const auto& [k, e] : v.as_map())
      if (contains_function(e)) return true;
  return false;
}

}  // namespace iotwins::tosca
