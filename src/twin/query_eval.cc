#include "twin/query_eval.h"

#include <charconv>

namespace iotwins::twin::query_detail {
namespace {

using nlohmann::json;

Val string_or_null(std::string_view s) {
  if (s.empty()) return Val{.kind = Val::Kind::null};
  return Val{.kind = Val::Kind::string, .string = s};
}

const json* walk(const json& root, const std::vector<std::string>& path) {
  const json* at = &root;
  for (const auto& segment : path) {
    if (at->is_object()) {
      auto it = at->find(segment);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else if (at->is_array()) {
      std::size_t index = 0;
      auto [p, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
      if (ec != std::errc() || p != segment.data() + segment.size() || index >= at->size()) {
        return nullptr;
      }
      at = &(*at)[index];
    } else {
      return nullptr;
    }
  }
  return at;
}

bool compare(CmpOp op, const Val& a, const Val& b) {
  switch (op) {
    case CmpOp::eq: return equal(a, b);
    case CmpOp::ne: return !equal(a, b);
    default: break;
  }
  const auto o = order(a, b);
  if (!o) return false;
  switch (op) {
    case CmpOp::lt: return *o < 0;
    case CmpOp::le: return *o <= 0;
    case CmpOp::gt: return *o > 0;
    case CmpOp::ge: return *o >= 0;
    default: return false;
  }
}

Val operand_value(const Operand& o, const TwinDocument& doc) {
  return o.is_field ? resolve(o.field, doc) : value_of(o.literal);
}

bool contains(const Val& haystack, const Val& needle) {
  if (haystack.kind == Val::Kind::string && needle.kind == Val::Kind::string) {
    return haystack.string.find(needle.string) != std::string_view::npos;
  }
  if (haystack.kind != Val::Kind::container) return false;
  const json& c = *haystack.container;
  if (c.is_array()) {
    for (const auto& element : c) {
      if (equal(value_of(element), needle)) return true;
    }
    return false;
  }
  // An object contains its keys.
  return needle.kind == Val::Kind::string && c.find(needle.string) != c.end();
}

}  // namespace

Val value_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return Val{.kind = Val::Kind::null};
    case json::value_t::boolean: return Val{.kind = Val::Kind::boolean, .boolean = v.get<bool>()};
    case json::value_t::number_integer: {
      const int64_t i = v.get<int64_t>();
      return Val{.kind = Val::Kind::integer, .integer = i, .number = static_cast<double>(i)};
    }
    case json::value_t::number_unsigned: {
      const uint64_t u = v.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) {
        return Val{.kind = Val::Kind::integer, .integer = static_cast<int64_t>(u),
                   .number = static_cast<double>(u)};
      }
      return Val{.kind = Val::Kind::number, .number = static_cast<double>(u)};
    }
    case json::value_t::number_float:
      return Val{.kind = Val::Kind::number, .number = v.get<double>()};
    case json::value_t::string:
      return Val{.kind = Val::Kind::string, .string = v.get_ref<const std::string&>()};
    case json::value_t::array:
    case json::value_t::object: return Val{.kind = Val::Kind::container, .container = &v};
    default: return Val{.kind = Val::Kind::null};
  }
}

Val value_of(const Literal& l) {
  switch (l.kind) {
    case Literal::Kind::null: return Val{.kind = Val::Kind::null};
    case Literal::Kind::boolean: return Val{.kind = Val::Kind::boolean, .boolean = l.boolean};
    case Literal::Kind::integer:
      return Val{.kind = Val::Kind::integer, .integer = l.integer, .number = l.number};
    case Literal::Kind::number: return Val{.kind = Val::Kind::number, .number = l.number};
    case Literal::Kind::string: return Val{.kind = Val::Kind::string, .string = l.string};
  }
  return Val{};
}

Val resolve(const FieldRef& field, const TwinDocument& doc) {
  const json* root = nullptr;
  switch (field.root) {
    case Root::id: return Val{.kind = Val::Kind::string, .string = doc.id};
    case Root::model: return string_or_null(doc.model);
    case Root::level: return string_or_null(level_name(doc.level));
    case Root::parent: return string_or_null(doc.parent);
    case Root::version:
      return Val{.kind = Val::Kind::integer, .integer = doc.version,
                 .number = static_cast<double>(doc.version)};
    case Root::updated:
      return Val{.kind = Val::Kind::integer, .integer = doc.updated_ms,
                 .number = static_cast<double>(doc.updated_ms)};
    case Root::attributes: root = &doc.attributes; break;
    case Root::desired: root = &doc.desired; break;
    case Root::reported: root = &doc.reported; break;
    case Root::delta: root = &doc.delta; break;
  }
  const json* at = walk(*root, field.path);
  return at == nullptr ? Val{} : value_of(*at);
}

bool equal(const Val& a, const Val& b) {
  using K = Val::Kind;
  const bool a_null = a.kind == K::missing || a.kind == K::null;
  const bool b_null = b.kind == K::missing || b.kind == K::null;
  if (a_null || b_null) return a_null && b_null;
  const bool a_num = a.kind == K::integer || a.kind == K::number;
  const bool b_num = b.kind == K::integer || b.kind == K::number;
  if (a_num || b_num) {
    if (!(a_num && b_num)) return false;
    if (a.kind == K::integer && b.kind == K::integer) return a.integer == b.integer;
    return a.number == b.number;
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case K::boolean: return a.boolean == b.boolean;
    case K::string: return a.string == b.string;
    case K::container: return *a.container == *b.container;
    default: return false;
  }
}

std::optional<int> order(const Val& a, const Val& b) {
  using K = Val::Kind;
  const bool a_num = a.kind == K::integer || a.kind == K::number;
  const bool b_num = b.kind == K::integer || b.kind == K::number;
  if (a_num && b_num) {
    if (a.kind == K::integer && b.kind == K::integer) {
      return a.integer < b.integer ? -1 : (a.integer > b.integer ? 1 : 0);
    }
    if (a.number != a.number || b.number != b.number) return std::nullopt;
    return a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
  }
  if (a.kind == K::string && b.kind == K::string) {
    const int c = a.string.compare(b.string);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return std::nullopt;
}

bool evaluate(const Program& program, int index, const TwinDocument& doc, const UnderFn& under) {
  const Node& n = program.nodes[static_cast<std::size_t>(index)];
  switch (n.kind) {
    case NodeKind::or_:
      return evaluate(program, n.lhs, doc, under) || evaluate(program, n.rhs, doc, under);
    case NodeKind::and_:
      return evaluate(program, n.lhs, doc, under) && evaluate(program, n.rhs, doc, under);
    case NodeKind::not_: return !evaluate(program, n.lhs, doc, under);
    case NodeKind::compare:
      return compare(n.op, operand_value(n.a, doc), operand_value(n.b, doc));
    case NodeKind::in: {
      const Val v = operand_value(n.a, doc);
      bool found = false;
      for (const auto& l : n.list) {
        if (equal(v, value_of(l))) {
          found = true;
          break;
        }
      }
      return found != n.negate;
    }
    case NodeKind::contains:
      return contains(operand_value(n.a, doc), operand_value(n.b, doc)) != n.negate;
    case NodeKind::exists: {
      const Val v = operand_value(n.a, doc);
      return v.kind != Val::Kind::missing && v.kind != Val::Kind::null;
    }
    case NodeKind::under: return under && under(doc.id, n.under_id);
    case NodeKind::truthy: {
      const Val v = operand_value(n.a, doc);
      return v.kind == Val::Kind::boolean && v.boolean;
    }
    case NodeKind::constant: return n.constant;
  }
  return false;
}

}  // namespace iotwins::twin::query_detail

namespace iotwins::twin {

bool Query::matches(const TwinDocument& doc, const UnderFn& under) const {
  if (program_->root < 0) return true;
  return query_detail::evaluate(*program_, program_->root, doc, under);
}

}  // namespace iotwins::twin
