// The TOSCA intrinsic functions: recognising them in a value tree. Checking them in context
// is validate_functions.cc; evaluating them is evaluator.cc.
#pragma once

#include <optional>
#include <string_view>

#include "tosca/value.h"

namespace iotwins::tosca {

enum class FunctionKind {
  get_input, get_property, get_attribute, get_operation_output, get_nodes_of_type, get_artifact,
  concat, join, token,
};

std::string_view function_name(FunctionKind kind);
// A single-key map whose key is a function name; nullopt for anything else.
std::optional<FunctionKind> function_kind(const Value& v);
// The function's argument (the value under its key). Only valid when function_kind() is set.
const Value& function_args(const Value& v);
// Whether a value tree contains a function call anywhere.
bool contains_function(const Value& v);

}  // namespace iotwins::tosca
