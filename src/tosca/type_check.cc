// Values against types: primitives, the special types (scalar-units, timestamps, versions,
// ranges), lists and maps with entry/key schemas, complex data types, and every constraint
// operator. The same code checks property values, defaults, inputs and node_filter values.
#include <cmath>
#include <variant>

#include "tosca/scalars.h"
#include "tosca/validator.h"

namespace iotwins::tosca {

namespace {

// A value in the order its type defines: numbers (incl. scalar-units and timestamps as
// their base unit), versions, or text.
using Ordered = std::variant<double, Version, std::string>;

std::optional<Ordered> ordered(const Value& v, std::string_view primitive) {
  if (auto kind = scalar_unit_kind(primitive)) {
    if (!v.is_string()) return std::nullopt;
    auto su = parse_scalar_unit(v.as_string(), *kind);
    if (!su) return std::nullopt;
    return Ordered(su->base);
  }
  if (primitive == "timestamp") {
    if (!v.is_string()) return std::nullopt;
    auto ts = parse_timestamp(v.as_string());
    if (!ts) return std::nullopt;
    return Ordered(*ts);
  }
  if (primitive == "version") {
    auto ver = parse_version(v.scalar_text());
    if (!ver) return std::nullopt;
    return Ordered(*ver);
  }
  if (primitive == "integer" || primitive == "float") {
    if (!v.is_number()) return std::nullopt;
    return Ordered(v.as_number());
  }
  if (v.is_string()) return Ordered(v.as_string());
  if (v.is_number()) return Ordered(v.as_number());
  return std::nullopt;
}

// <0, 0, >0; nullopt when the two are not comparable.
std::optional<int> compare(const Ordered& a, const Ordered& b) {
  if (a.index() != b.index()) return std::nullopt;
  if (const double* x = std::get_if<double>(&a)) {
    double y = std::get<double>(b);
    // Scalar-unit conversions (e.g. 1 GiB vs 1024 MiB) are exact in binary, decimal ones
    // (0.1 GHz) may not be: compare with a relative tolerance.
    double scale = std::max(std::fabs(*x), std::fabs(y));
    if (std::fabs(*x - y) <= scale * 1e-12) return 0;
    return *x < y ? -1 : 1;
  }
  if (const Version* x = std::get_if<Version>(&a)) return compare_versions(*x, std::get<Version>(b));
  int c = std::get<std::string>(a).compare(std::get<std::string>(b));
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool values_equal(const Value& a, const Value& b, std::string_view primitive) {
  if (a.is_scalar() && b.is_scalar()) {
    auto oa = ordered(a, primitive);
    auto ob = ordered(b, primitive);
    if (oa && ob) {
      auto c = compare(*oa, *ob);
      if (c) return *c == 0;
    }
  }
  return a == b;
}

}  // namespace

std::optional<std::string> Validator::constraint_failure(const Constraint& c, const Value& v, const TypeDef* primitive) {
  std::string_view prim = primitive != nullptr ? std::string_view(primitive->name) : std::string_view("string");
  auto cmp = [&](const Value& arg) -> std::optional<int> {
    auto a = ordered(v, prim);
    auto b = ordered(arg, prim);
    if (!a || !b) return std::nullopt;
    return compare(*a, *b);
  };
  const std::string shown = v.to_string();
  switch (c.op) {
    case ConstraintOp::equal:
      if (!values_equal(v, c.arg, prim)) return shown + " is not equal to " + c.arg.to_string();
      return std::nullopt;
    case ConstraintOp::greater_than: {
      auto r = cmp(c.arg);
      if (r && *r <= 0) return shown + " is not greater than " + c.arg.to_string();
      return std::nullopt;
    }
    case ConstraintOp::greater_or_equal: {
      auto r = cmp(c.arg);
      if (r && *r < 0) return shown + " is less than the minimum " + c.arg.to_string();
      return std::nullopt;
    }
    case ConstraintOp::less_than: {
      auto r = cmp(c.arg);
      if (r && *r >= 0) return shown + " is not less than " + c.arg.to_string();
      return std::nullopt;
    }
    case ConstraintOp::less_or_equal: {
      auto r = cmp(c.arg);
      if (r && *r > 0) return shown + " is more than the maximum " + c.arg.to_string();
      return std::nullopt;
    }
    case ConstraintOp::in_range: {
      if (!c.arg.is_list() || c.arg.as_list().size() != 2) return std::nullopt;
      const Value& lo = c.arg.as_list()[0];
      const Value& hi = c.arg.as_list()[1];
      if (prim == "range" && v.is_list()) {  // a range inside a range: both bounds must fit
        auto inner = parse_range(v);
        auto outer_lo = lo.is_int() ? lo.as_int() : INT64_MIN;
        auto outer_hi = hi.is_int() ? hi.as_int() : Range::kUnbounded;
        if (inner && (inner->min < outer_lo || inner->max > outer_hi))
          return "range " + shown + " is not inside " + c.arg.to_string();
        return std::nullopt;
      }
      auto r1 = cmp(lo);
      bool hi_unbounded = hi.is_string() && hi.as_string() == "UNBOUNDED";
      auto r2 = hi_unbounded ? std::optional<int>(-1) : cmp(hi);
      if ((r1 && *r1 < 0) || (r2 && *r2 > 0)) return shown + " is outside the range " + c.arg.to_string();
      return std::nullopt;
    }
    case ConstraintOp::valid_values: {
      if (!c.arg.is_list()) return std::nullopt;
      for (const auto& allowed : c.arg.as_list())
        if (values_equal(v, allowed, prim)) return std::nullopt;
      return shown + " is not one of the valid values " + c.arg.to_string();
    }
    case ConstraintOp::length:
    case ConstraintOp::min_length:
    case ConstraintOp::max_length: {
      if (!c.arg.is_int() || (!v.is_string() && !v.is_list() && !v.is_map())) return std::nullopt;
      auto n = static_cast<int64_t>(v.size());
      int64_t want = c.arg.as_int();
      if (c.op == ConstraintOp::length && n != want)
        return "length " + std::to_string(n) + " of " + shown + " is not " + std::to_string(want);
      if (c.op == ConstraintOp::min_length && n < want)
        return shown + " is shorter than the minimum length " + std::to_string(want);
      if (c.op == ConstraintOp::max_length && n > want)
        return shown + " is longer than the maximum length " + std::to_string(want);
      return std::nullopt;
    }
    case ConstraintOp::pattern: {
      if (!c.arg.is_string() || !v.is_scalar()) return std::nullopt;
      auto it = regex_cache_.find(c.arg.as_string());
      if (it == regex_cache_.end()) {
        try {
          it = regex_cache_.emplace(c.arg.as_string(), std::regex(c.arg.as_string(), std::regex::ECMAScript)).first;
        } catch (const std::regex_error&) {
          return std::nullopt;  // reported as invalid_constraint where it is defined
        }
      }
      std::string text = v.scalar_text();
      // std::regex recurses per character; very long subjects could exhaust the stack.
      if (text.size() > 4096) return "value is longer than 4096 characters, too long to match a pattern";
      try {
        if (!std::regex_match(text, it->second)) return shown + " does not match the pattern " + c.arg.as_string();
      } catch (const std::regex_error&) {
        return "the pattern " + c.arg.as_string() + " is too complex to evaluate on " + shown;
      }
      return std::nullopt;
    }
    case ConstraintOp::schema:
      return std::nullopt;  // JSON/XML schema validation is not part of this implementation (docs/tosca.md)
  }
  return std::nullopt;
}

void Validator::check_value(const Value& v, const Schema& s, const std::string& path, const std::string& what) {
  if (function_kind(v)) return;  // checked by check_functions, evaluated later
  const TypeDef* type = data_type(s.type);
  if (type == nullptr) return;   // the definition's unknown type is reported where it is defined
  const TypeDef* prim = reg_.primitive_of(type);
  auto mismatch = [&](std::string expected) {
    error(Code::type_mismatch, v.mark(), path,
          what + " should be " + expected + ", found " + std::string(kind_name(v.kind())) +
              (v.is_scalar() ? " `" + v.to_string() + "`" : ""));
  };
  // The entry/key schema of a list or map comes from the use, else from the data type.
  const Schema* entry = s.entry_schema.get();
  const Schema* key = s.key_schema.get();
  for (const TypeDef* t : reg_.chain(type)) {
    if (entry == nullptr && t->entry_schema) entry = t->entry_schema.get();
    if (key == nullptr && t->key_schema) key = t->key_schema.get();
  }
  if (prim != nullptr) {
    const std::string& p = prim->name;
    if (v.is_null() && p != "null") {
      mismatch("a " + s.type + " value");
      return;
    }
    if (p == "string") {
      if (!v.is_string()) return mismatch("a string");
    } else if (p == "integer") {
      if (!v.is_int()) return mismatch("an integer");
    } else if (p == "float") {
      if (!v.is_number()) return mismatch("a number");
    } else if (p == "boolean") {
      if (!v.is_bool()) return mismatch("true or false");
    } else if (p == "null") {
      if (!v.is_null()) return mismatch("null");
    } else if (p == "timestamp") {
      if (!v.is_string() || !parse_timestamp(v.as_string())) {
        error(Code::invalid_timestamp, v.mark(), path,
              what + " `" + v.to_string() + "` is not a timestamp (ISO 8601, e.g. 2024-03-01T10:00:00Z)");
        return;
      }
    } else if (p == "version") {
      if (!v.is_scalar() || !parse_version(v.scalar_text())) {
        error(Code::invalid_version, v.mark(), path,
              what + " `" + v.to_string() + "` is not a version (major.minor[.fix[.qualifier[-build]]])");
        return;
      }
    } else if (p == "range") {
      std::string why;
      if (!parse_range(v, &why)) {
        error(Code::invalid_range, v.mark(), path, what + " " + v.to_string() + ": " + why);
        return;
      }
    } else if (auto unit_kind = scalar_unit_kind(p)) {
      if (!v.is_string() || !parse_scalar_unit(v.as_string(), *unit_kind)) {
        error(Code::invalid_scalar_unit, v.mark(), path,
              what + " `" + v.to_string() + "` is not a " + p + " (a number and one of: " +
                  scalar_units_list(*unit_kind) + ")");
        return;
      }
    } else if (p == "list") {
      if (!v.is_list()) return mismatch("a list");
      if (entry != nullptr) {
        size_t i = 0;
        for (const auto& e : v.as_list()) {
          check_value(e, *entry, index_path(path, i), what + " entry " + std::to_string(i));
          ++i;
        }
      }
    } else if (p == "map") {
      if (!v.is_map()) return mismatch("a map");
      for (const auto& [k, e] : v.as_map()) {
        if (key != nullptr) check_value(Value(k).with_mark(e.mark()), *key, child_path(path, k), what + " key `" + k + "`");
        if (entry != nullptr) check_value(e, *entry, child_path(path, k), what + " entry `" + k + "`");
      }
    }
  } else {
    // A complex data type: a map of its properties.
    if (!v.is_map()) return mismatch("a map of the properties of " + type->name);
    check_assignments(v, reg_.properties(type), v.mark(), path, what + " (" + type->name + ")", false);
  }
  // The use's constraints, then every data type's in the chain (no list built: this runs for
  // every value of every template).
  auto enforce = [&](const Constraint& c) {
    if (auto why = constraint_failure(c, v, prim))
      error(Code::constraint_violation, v.mark(), path,
            what + ": " + *why + " (" + std::string(constraint_op_name(c.op)) + " constraint)");
  };
  for (const auto& c : s.constraints) enforce(c);
  for (const TypeDef* t : reg_.chain(type))
    for (const auto& c : t->constraints) enforce(c);
}

void Validator::check_assignments(const Value& values, const PropertyDefs& defs, const Mark& owner_mark,
                                  const std::string& path, const std::string& owner, bool attributes) {
  if (values.is_map()) {
    for (const auto& [name, v] : values.as_map()) {
      std::string p = child_path(path, name);
      auto def = defs.find(name);
      if (def == defs.end()) {
        std::string known;
        for (const auto& [n, d] : defs) known += (known.empty() ? "" : ", ") + n;
        error(attributes ? Code::unknown_attribute : Code::unknown_property, v.mark(), p,
              owner + " has no " + (attributes ? "attribute" : "property") + " `" + name + "`" +
                  (known.empty() ? "" : " (it has: " + known + ")"));
        continue;
      }
      check_value(v, def->second.schema, p, std::string(attributes ? "attribute" : "property") + " `" + name + "`");
    }
  }
  if (attributes) return;
  for (const auto& [name, def] : defs) {
    if (!def.required || def.default_value || (values.is_map() && values.find(name) != nullptr)) continue;
    if (def.status == "deprecated" || def.status == "unsupported") continue;
    error(Code::missing_property, owner_mark, path,
          owner + " needs property `" + name + "` (required, no default)");
  }
}

void Validator::check_constraint_args(const std::vector<Constraint>& cs, const TypeDef* type, const std::string& path) {
  const TypeDef* prim = type != nullptr ? reg_.primitive_of(type) : nullptr;
  std::string_view p = prim != nullptr ? std::string_view(prim->name) : std::string_view("string");
  for (const auto& c : cs) {
    auto bad = [&](std::string why) { error(Code::invalid_constraint, c.mark, c.path.empty() ? path : c.path, why); };
    auto comparable = [&](const Value& arg) {
      if (prim == nullptr || p == "string" || p == "list" || p == "map" || p == "boolean" || p == "null" || p == "range")
        return true;
      return ordered(arg, p).has_value();
    };
    switch (c.op) {
      case ConstraintOp::equal:
      case ConstraintOp::greater_than:
      case ConstraintOp::greater_or_equal:
      case ConstraintOp::less_than:
      case ConstraintOp::less_or_equal:
        if (!comparable(c.arg))
          bad(std::string(constraint_op_name(c.op)) + " `" + c.arg.to_string() + "` is not a value of type " + std::string(p));
        break;
      case ConstraintOp::in_range:
        if (c.arg.is_list() && c.arg.as_list().size() == 2) {
          const Value& lo = c.arg.as_list()[0];
          const Value& hi = c.arg.as_list()[1];
          bool hi_unbounded = hi.is_string() && hi.as_string() == "UNBOUNDED";
          if (p == "range") {
            if (!lo.is_int() || !(hi.is_int() || hi_unbounded)) bad("in_range for a range takes integer bounds");
          } else if (!comparable(lo) || (!hi_unbounded && !comparable(hi))) {
            bad("in_range bounds " + c.arg.to_string() + " are not values of type " + std::string(p));
          } else if (!hi_unbounded && p != "string") {
            auto a = ordered(lo, p), b = ordered(hi, p);
            if (a && b) {
              auto r = compare(*a, *b);
              if (r && *r > 0) bad("in_range " + c.arg.to_string() + " has its lower bound above its upper bound");
            }
          }
        }
        break;
      case ConstraintOp::valid_values:
        if (c.arg.is_list())
          for (const auto& x : c.arg.as_list())
            if (!comparable(x)) bad("valid value `" + x.to_string() + "` is not a value of type " + std::string(p));
        break;
      case ConstraintOp::pattern:
        if (c.arg.is_string()) {
          try {
            regex_cache_.emplace(c.arg.as_string(), std::regex(c.arg.as_string(), std::regex::ECMAScript));
          } catch (const std::regex_error& e) {
            bad("pattern `" + c.arg.as_string() + "` is not a valid regular expression");
          }
        }
        break;
      default: break;
    }
  }
}

}  // namespace iotwins::tosca
