// Shared grammar helpers: keyname checks, strings, property/parameter definitions,
// schemas, constraints and occurrences.
#include <algorithm>

#include "tosca/parser.h"
#include "tosca/scalars.h"

namespace iotwins::tosca {

std::string_view family_name(Family f) {
  switch (f) {
    case Family::node: return "node type";
    case Family::capability: return "capability type";
    case Family::relationship: return "relationship type";
    case Family::interface: return "interface type";
    case Family::data: return "data type";
    case Family::artifact: return "artifact type";
    case Family::policy: return "policy type";
    case Family::group: return "group type";
  }
  return "type";
}

std::string_view family_section(Family f) {
  switch (f) {
    case Family::node: return "node_types";
    case Family::capability: return "capability_types";
    case Family::relationship: return "relationship_types";
    case Family::interface: return "interface_types";
    case Family::data: return "data_types";
    case Family::artifact: return "artifact_types";
    case Family::policy: return "policy_types";
    case Family::group: return "group_types";
  }
  return "";
}

std::string_view version_name(ToscaVersion v) {
  switch (v) {
    case ToscaVersion::v1_0: return "tosca_simple_yaml_1_0";
    case ToscaVersion::v1_1: return "tosca_simple_yaml_1_1";
    case ToscaVersion::v1_2: return "tosca_simple_yaml_1_2";
    case ToscaVersion::v1_3: return "tosca_simple_yaml_1_3";
  }
  return "";
}

std::string_view constraint_op_name(ConstraintOp op) {
  switch (op) {
    case ConstraintOp::equal: return "equal";
    case ConstraintOp::greater_than: return "greater_than";
    case ConstraintOp::greater_or_equal: return "greater_or_equal";
    case ConstraintOp::less_than: return "less_than";
    case ConstraintOp::less_or_equal: return "less_or_equal";
    case ConstraintOp::in_range: return "in_range";
    case ConstraintOp::valid_values: return "valid_values";
    case ConstraintOp::length: return "length";
    case ConstraintOp::min_length: return "min_length";
    case ConstraintOp::max_length: return "max_length";
    case ConstraintOp::pattern: return "pattern";
    case ConstraintOp::schema: return "schema";
  }
  return "";
}

bool Parser::expect_map(const Value& v, const std::string& path, std::string_view what) {
  if (v.is_map()) return true;
  error(Code::wrong_kind, v.mark(), path,
        std::string(what) + " must be a map, found " + std::string(kind_name(v.kind())) +
            (v.is_scalar() && !v.is_null() ? " `" + v.to_string() + "`" : ""));
  return false;
}

bool Parser::expect_list(const Value& v, const std::string& path, std::string_view what) {
  if (v.is_list()) return true;
  error(Code::wrong_kind, v.mark(), path,
        std::string(what) + " must be a list, found " + std::string(kind_name(v.kind())));
  return false;
}

void Parser::check_keys(const Value& map, std::initializer_list<std::string_view> allowed,
                        const std::string& path, std::string_view what) {
  if (!map.is_map()) return;
  for (const auto& [key, value] : map.as_map()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (auto a : allowed) {
      if (!list.empty()) list += ", ";
      list += a;
    }
    error(Code::unknown_field, value.mark(), child_path(path, key),
          "`" + key + "` is not a keyname of " + std::string(what) + " (allowed: " + list + ")");
  }
}

std::string Parser::as_text(const Value& v, const std::string& path, std::string_view what) {
  if (v.is_string()) return v.as_string();
  if (v.is_number() || v.is_bool()) return v.scalar_text();
  error(Code::wrong_kind, v.mark(), path,
        std::string(what) + " must be a string, found " + std::string(kind_name(v.kind())));
  return "";
}

std::string Parser::get_string(const Value& map, std::string_view key, const std::string& path,
                               std::string_view what, bool required, Mark* mark) {
  const Value* v = map.find(key);
  if (v == nullptr) {
    if (required)
      error(Code::missing_field, map.mark(), path,
            std::string(what) + " needs `" + std::string(key) + "`");
    return "";
  }
  if (mark != nullptr) *mark = v->mark();
  if (v->is_null() && required) {
    error(Code::missing_field, v->mark(), child_path(path, key),
          std::string(what) + " needs a value for `" + std::string(key) + "`");
    return "";
  }
  if (v->is_null()) return "";
  return as_text(*v, child_path(path, key), "`" + std::string(key) + "`");
}

std::vector<std::string> Parser::get_string_list(const Value& map, std::string_view key, const std::string& path) {
  std::vector<std::string> out;
  for (auto& ref : get_ref_list(map, key, path)) out.push_back(std::move(ref.name));
  return out;
}

std::vector<NamedRef> Parser::get_ref_list(const Value& map, std::string_view key, const std::string& path) {
  std::vector<NamedRef> out;
  const Value* v = map.find(key);
  if (v == nullptr || v->is_null()) return out;
  std::string p = child_path(path, key);
  if (v->is_string()) {  // a single name where a list is expected: lenient and unambiguous
    out.push_back({v->as_string(), v->mark(), p});
    return out;
  }
  if (!expect_list(*v, p, "`" + std::string(key) + "`")) return out;
  size_t i = 0;
  for (const auto& item : v->as_list()) {
    std::string ip = index_path(p, i++);
    std::string s = as_text(item, ip, "an entry of `" + std::string(key) + "`");
    if (!s.empty()) out.push_back({s, item.mark(), ip});
  }
  return out;
}

bool Parser::get_bool(const Value& map, std::string_view key, const std::string& path, bool fallback, bool* given) {
  const Value* v = map.find(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_bool()) {
    error(Code::type_mismatch, v->mark(), child_path(path, key),
          "`" + std::string(key) + "` must be true or false, found `" + v->to_string() + "`");
    return fallback;
  }
  if (given != nullptr) *given = true;
  return v->as_bool();
}

Schema Parser::parse_schema(const Value& v, const std::string& path) {
  Schema s;
  if (v.is_string()) {  // short form: entry_schema: string
    s.type = v.as_string();
    s.type_mark = v.mark();
    return s;
  }
  if (!expect_map(v, path, "a schema definition")) return s;
  check_keys(v, {"type", "description", "constraints", "key_schema", "entry_schema"}, path,
             "a schema definition");
  s.type = get_string(v, "type", path, "a schema definition", true, &s.type_mark);
  s.description = get_string(v, "description", path, "a schema definition");
  if (const Value* c = v.find("constraints")) s.constraints = parse_constraints(*c, child_path(path, "constraints"));
  if (const Value* k = v.find("key_schema"))
    s.key_schema = std::make_shared<Schema>(parse_schema(*k, child_path(path, "key_schema")));
  if (const Value* e = v.find("entry_schema"))
    s.entry_schema = std::make_shared<Schema>(parse_schema(*e, child_path(path, "entry_schema")));
  return s;
}

PropertyDefs Parser::parse_property_defs(const Value& v, const std::string& path, DefKind kind) {
  PropertyDefs out;
  if (v.is_null()) return out;
  std::string_view what = kind == DefKind::property    ? "properties"
                          : kind == DefKind::attribute ? "attributes"
                                                       : "parameters";
  if (!expect_map(v, path, what)) return out;
  for (const auto& [name, def] : v.as_map())
    out.emplace(name, parse_property_def(name, def, child_path(path, name), kind));
  return out;
}

PropertyDef Parser::parse_property_def(const std::string& name, const Value& v, const std::string& path, DefKind kind) {
  PropertyDef p;
  p.name = name;
  p.mark = v.mark();
  p.path = path;
  std::string_view what = kind == DefKind::property    ? "a property definition"
                          : kind == DefKind::attribute ? "an attribute definition"
                                                       : "a parameter definition";
  if (kind == DefKind::parameter && !v.is_map()) {
    // A parameter given as a bare value (operation inputs, 1.0 outputs): an untyped value.
    p.value = v;
    p.required = false;
    return p;
  }
  if (!expect_map(v, path, what)) return p;
  switch (kind) {
    case DefKind::property:
      check_keys(v, {"type", "description", "required", "default", "status", "constraints", "key_schema",
                     "entry_schema", "metadata", "external-schema", "value"},
                 path, what);
      break;
    case DefKind::attribute:
      check_keys(v, {"type", "description", "default", "status", "constraints", "key_schema",
                     "entry_schema", "metadata", "external-schema"},
                 path, what);
      break;
    case DefKind::parameter:
      check_keys(v, {"type", "description", "required", "default", "status", "constraints", "key_schema",
                     "entry_schema", "metadata", "external-schema", "value", "mapping"},
                 path, what);
      break;
  }
  // 1.3 makes `type` optional for parameters only; properties and attributes need it.
  p.schema.type = get_string(v, "type", path, what, kind != DefKind::parameter, &p.schema.type_mark);
  p.schema.description = get_string(v, "description", path, what);
  if (const Value* c = v.find("constraints")) p.schema.constraints = parse_constraints(*c, child_path(path, "constraints"));
  if (const Value* k = v.find("key_schema"))
    p.schema.key_schema = std::make_shared<Schema>(parse_schema(*k, child_path(path, "key_schema")));
  if (const Value* e = v.find("entry_schema"))
    p.schema.entry_schema = std::make_shared<Schema>(parse_schema(*e, child_path(path, "entry_schema")));
  p.required = get_bool(v, "required", path, kind != DefKind::attribute, &p.required_given);
  if (const Value* d = v.find("default")) p.default_value = *d;
  if (const Value* val = v.find("value")) p.value = *val;
  if (const Value* mapping = v.find("mapping"); mapping != nullptr && !p.value) p.value = *mapping;
  p.status = get_string(v, "status", path, what);
  if (!p.status.empty() && p.status != "supported" && p.status != "unsupported" &&
      p.status != "experimental" && p.status != "deprecated")
    error(Code::invalid_value, v.find("status")->mark(), child_path(path, "status"),
          "status `" + p.status + "` is not one of supported, unsupported, experimental, deprecated");
  if (const Value* m = v.find("metadata")) p.metadata = *m;
  return p;
}

std::vector<Constraint> Parser::parse_constraints(const Value& v, const std::string& path) {
  static constexpr std::pair<std::string_view, ConstraintOp> kOps[] = {
      {"equal", ConstraintOp::equal},
      {"greater_than", ConstraintOp::greater_than},
      {"greater_or_equal", ConstraintOp::greater_or_equal},
      {"less_than", ConstraintOp::less_than},
      {"less_or_equal", ConstraintOp::less_or_equal},
      {"in_range", ConstraintOp::in_range},
      {"valid_values", ConstraintOp::valid_values},
      {"length", ConstraintOp::length},
      {"min_length", ConstraintOp::min_length},
      {"max_length", ConstraintOp::max_length},
      {"pattern", ConstraintOp::pattern},
      {"schema", ConstraintOp::schema},
  };
  std::vector<Constraint> out;
  for_each_single_key(v, path, "constraints", [&](const std::string& op, const Value& arg, const std::string& p, const Value& item) {
    auto it = std::find_if(std::begin(kOps), std::end(kOps), [&](const auto& e) { return e.first == op; });
    if (it == std::end(kOps)) {
      error(Code::invalid_constraint, item.mark(), p,
            "`" + op + "` is not a constraint operator (equal, greater_than, greater_or_equal, less_than, "
            "less_or_equal, in_range, valid_values, length, min_length, max_length, pattern, schema)");
      return;
    }
    Constraint c{it->second, arg, item.mark(), p};
    switch (c.op) {
      case ConstraintOp::in_range:
        if (!arg.is_list() || arg.as_list().size() != 2)
          return error(Code::invalid_constraint, arg.mark(), p, "in_range takes a list of two bounds, [min, max]");
        break;
      case ConstraintOp::valid_values:
        if (!arg.is_list()) return error(Code::invalid_constraint, arg.mark(), p, "valid_values takes a list of values");
        break;
      case ConstraintOp::length:
      case ConstraintOp::min_length:
      case ConstraintOp::max_length:
        if (!arg.is_int() || arg.as_int() < 0)
          return error(Code::invalid_constraint, arg.mark(), p, op + " takes a non-negative integer");
        break;
      case ConstraintOp::pattern:
        if (!arg.is_string()) return error(Code::invalid_constraint, arg.mark(), p, "pattern takes a regular expression string");
        break;
      case ConstraintOp::schema:
        if (!arg.is_string() && !arg.is_map())
          return error(Code::invalid_constraint, arg.mark(), p, "schema takes a schema document");
        break;
      default:
        if (!arg.is_scalar() || arg.is_null())
          return error(Code::invalid_constraint, arg.mark(), p, op + " takes a single scalar value");
        break;
    }
    out.push_back(std::move(c));
  });
  return out;
}

Occurrences Parser::parse_occurrences(const Value& v, const std::string& path, Occurrences fallback) {
  std::string why;
  auto r = parse_range(v, &why);
  if (!r) {
    error(Code::invalid_occurrences, v.mark(), path, "occurrences " + v.to_string() + ": " + why);
    return fallback;
  }
  if (r->min < 0) {
    error(Code::invalid_occurrences, v.mark(), path, "occurrences cannot start below 0");
    return fallback;
  }
  if (r->max == 0) {
    error(Code::invalid_occurrences, v.mark(), path, "occurrences [.., 0] would forbid every use");
    return fallback;
  }
  Occurrences o{r->min, r->max == Range::kUnbounded ? Occurrences::kUnbounded : r->max, true, v.mark()};
  return o;
}

}  // namespace iotwins::tosca
