// The compiled form of a twin query: a flat vector of nodes, children by index. Internal to
// query*.cc; the public face is twin/query.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins::twin::query_detail {

// Where a field starts: the document's scalar fields or one of its JSON objects.
enum class Root { id, model, level, parent, version, updated, attributes, desired, reported, delta };

struct FieldRef {
  Root root = Root::id;
  std::vector<std::string> path;  // keys (or array indexes) below an object root
  std::string text;               // as written, for errors and cursors
};

struct Literal {
  enum class Kind { null, boolean, integer, number, string } kind = Kind::null;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;  // also set for integers
  std::string string;
};

struct Operand {
  bool is_field = false;
  FieldRef field;
  Literal literal;
};

enum class CmpOp { eq, ne, lt, le, gt, ge };

enum class NodeKind { or_, and_, not_, compare, in, contains, exists, under, truthy, constant };

struct Node {
  NodeKind kind = NodeKind::constant;
  int lhs = -1, rhs = -1;  // children of or/and/not
  CmpOp op = CmpOp::eq;
  Operand a, b;                // compare, contains (a contains b), truthy (a), exists (a)
  std::vector<Literal> list;   // in
  bool negate = false;         // not in, not contains
  bool constant = true;        // constant
  std::string under_id;        // under
};

struct Program {
  std::vector<Node> nodes;
  int root = -1;  // -1: the empty query, which matches everything
};

// Compiles a lone field ("reported.a.b", "state.reported.x", "version"), as in a query.
Result<FieldRef> compile_field(std::string_view text);

}  // namespace iotwins::twin::query_detail
