// Evaluating compiled queries: field values as cheap views into the document, and the
// comparison rules. Internal; shared by query.cc and query_page.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "twin/document.h"
#include "twin/query.h"
#include "twin/query_ast.h"

namespace iotwins::twin::query_detail {

// A value seen by the evaluator; strings and containers point into the document or the query.
struct Val {
  enum class Kind { missing, null, boolean, integer, number, string, container };
  Kind kind = Kind::missing;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;  // set for integers too
  std::string_view string;
  const nlohmann::json* container = nullptr;
};

Val resolve(const FieldRef& field, const TwinDocument& doc);
Val value_of(const nlohmann::json& value);
Val value_of(const Literal& literal);

// Missing and null are equal; numbers compare by value across integer/float; other kinds only
// equal their own kind.
bool equal(const Val& a, const Val& b);
// -1, 0 or 1 for two numbers or two strings (bytewise); nullopt for anything else.
std::optional<int> order(const Val& a, const Val& b);

bool evaluate(const Program& program, int node, const TwinDocument& doc, const UnderFn& under);

}  // namespace iotwins::twin::query_detail
