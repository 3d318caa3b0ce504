#include "tosca/evaluator.h"

#include "tosca/functions.h"

namespace iotwins::tosca {

namespace {
constexpr int kMaxDepth = 64;  // get_property chains deeper than this are taken for a cycle
constexpr size_t kNoNode = SIZE_MAX;

Result<std::string> text_of(const Value& v, std::string_view fn) {
  if (v.is_null()) return std::string();
  if (v.is_scalar()) return v.scalar_text();
  return make_error(Errc::invalid_argument, std::string(fn) + ": cannot turn " + v.to_string() + " into text");
}
}  // namespace

Result<Value> Evaluator::walk(Value v, const Value::List& args, size_t from) const {
  for (size_t i = from; i < args.size(); ++i) {
    const Value& key = args[i];
    if (key.is_string() && v.is_map()) {
      const Value* next = v.find(key.as_string());
      if (next == nullptr) return Value();
      Value copy = *next;
      v = std::move(copy);
    } else if (key.is_int() && v.is_list()) {
      int64_t idx = key.as_int();
      if (idx < 0 || static_cast<size_t>(idx) >= v.as_list().size())
        return make_error(Errc::not_found, "index " + std::to_string(idx) + " is outside a list of " +
                                               std::to_string(v.as_list().size()));
      Value copy = v.as_list()[static_cast<size_t>(idx)];
      v = std::move(copy);
    } else {
      return make_error(Errc::not_found, "cannot follow `" + key.scalar_text() + "` into " + v.to_string());
    }
  }
  return v;
}

Result<std::vector<size_t>> Evaluator::entity(const Value& name_value, const Scope& scope) const {
  if (!name_value.is_string()) return make_error(Errc::invalid_argument, "an entity name must be a string");
  const std::string& name = name_value.as_string();
  auto need = [&](const std::optional<size_t>& idx) -> Result<std::vector<size_t>> {
    if (!idx) return make_error(Errc::invalid_argument, name + " has no meaning here");
    return std::vector<size_t>{*idx};
  };
  if (name == "SELF") {
    if (scope.relationship_properties != nullptr) return std::vector<size_t>{kNoNode};
    return need(scope.self);
  }
  if (name == "SOURCE") return need(scope.source);
  if (name == "TARGET") return need(scope.target);
  if (name == "HOST") {
    if (!scope.self) return make_error(Errc::invalid_argument, "HOST has no meaning here");
    std::vector<size_t> hosts;
    std::optional<size_t> cur = model_.nodes[*scope.self].host;
    while (cur && hosts.size() < model_.nodes.size()) {
      hosts.push_back(*cur);
      cur = model_.nodes[*cur].host;
    }
    if (hosts.empty()) return make_error(Errc::not_found, "node `" + model_.nodes[*scope.self].name + "` has no host");
    return hosts;
  }
  for (size_t i = 0; i < model_.nodes.size(); ++i)
    if (model_.nodes[i].name == name) return std::vector<size_t>{i};
  return make_error(Errc::not_found, "`" + name + "` is not a node template");
}

Result<std::optional<Value>> Evaluator::property(const Value::List& a, const Scope& scope, bool attribute, int depth) {
  IOT_ASSIGN(auto nodes, entity(a[0], scope));
  const std::string& second = a[1].is_string() ? a[1].as_string() : std::string();
  if (nodes.size() == 1 && nodes[0] == kNoNode) {  // SELF of a relationship
    const Value* v = scope.relationship_properties->find(second);
    if (v == nullptr) {
      if (attribute && lookup_ == nullptr) return std::optional<Value>();
      return std::optional<Value>(Value());
    }
    IOT_ASSIGN(Value ev, tree(*v, scope, nullptr, "", depth + 1));
    IOT_ASSIGN(Value out, walk(std::move(ev), a, 2));
    return std::optional<Value>(std::move(out));
  }
  if (attribute) {
    if (lookup_ == nullptr) return std::optional<Value>();  // run time decides
    for (size_t idx : nodes) {
      const NodeInstance& n = model_.nodes[idx];
      RuntimeRef ref;
      ref.kind = RuntimeRef::Kind::attribute;
      ref.node = n.name;
      size_t rest = 2;
      ref.name = second;
      if (a.size() >= 3 && n.capabilities.find(second) != nullptr && a[2].is_string()) {
        ref.capability = second;
        ref.name = a[2].as_string();
        rest = 3;
      }
      if (auto v = (*lookup_)(ref)) {
        IOT_ASSIGN(Value out, walk(std::move(*v), a, rest));
        return std::optional<Value>(std::move(out));
      }
      // Not reported yet: the template's initial value, if any.
      const Value* initial = ref.capability.empty() ? n.attributes.find(ref.name) : nullptr;
      if (initial == nullptr && ref.capability.empty()) initial = n.properties.find(ref.name);
      if (initial != nullptr) {
        IOT_ASSIGN(Value ev, tree(*initial, Scope{idx}, nullptr, "", depth + 1));
        IOT_ASSIGN(Value out, walk(std::move(ev), a, rest));
        return std::optional<Value>(std::move(out));
      }
    }
    return make_error(Errc::not_found, "attribute `" + second + "` of `" + a[0].scalar_text() + "` has no value yet");
  }
  for (size_t idx : nodes) {
    const NodeInstance& n = model_.nodes[idx];
    Scope inner{idx};
    if (const Value* v = n.properties.find(second)) {
      IOT_ASSIGN(Value ev, tree(*v, inner, nullptr, "", depth + 1));
      IOT_ASSIGN(Value out, walk(std::move(ev), a, 2));
      return std::optional<Value>(std::move(out));
    }
    if (a.size() >= 3 && a[2].is_string()) {
      if (const Value* cap = n.capabilities.find(second)) {
        const Value* props = cap->find("properties");
        const Value* v = props != nullptr ? props->find(a[2].as_string()) : nullptr;
        if (v == nullptr) return std::optional<Value>(Value());
        IOT_ASSIGN(Value ev, tree(*v, inner, nullptr, "", depth + 1));
        IOT_ASSIGN(Value out, walk(std::move(ev), a, 3));
        return std::optional<Value>(std::move(out));
      }
      for (const auto& r : n.requirements) {
        if (r.requirement != second) continue;
        const NodeInstance& t = model_.nodes[r.target_index];
        const Value* v = t.properties.find(a[2].as_string());
        if (v == nullptr)
          if (const Value* cap = t.capabilities.find(r.capability))
            if (const Value* props = cap->find("properties")) v = props->find(a[2].as_string());
        if (v == nullptr) return std::optional<Value>(Value());
        IOT_ASSIGN(Value ev, tree(*v, Scope{r.target_index}, nullptr, "", depth + 1));
        IOT_ASSIGN(Value out, walk(std::move(ev), a, 3));
        return std::optional<Value>(std::move(out));
      }
    }
  }
  return std::optional<Value>(Value());  // defined but not set: null
}

Result<std::optional<Value>> Evaluator::call(const Value& fn, const Scope& scope, int depth) {
  if (depth > kMaxDepth) return make_error(Errc::invalid_argument, "functions refer to each other in a cycle");
  FunctionKind kind = *function_kind(fn);
  const Value& args = function_args(fn);
  std::string name(function_name(kind));
  auto fail = [&](std::string why) { return make_error(Errc::invalid_argument, name + ": " + why); };
  switch (kind) {
    case FunctionKind::get_input: {
      Value::List a = args.is_list() ? args.as_list() : Value::List{args};
      if (a.empty() || !a[0].is_string()) return fail("needs an input name");
      const Value* v = model_.inputs.find(a[0].as_string());
      if (v == nullptr) return std::optional<Value>(Value());
      IOT_ASSIGN(Value out, walk(*v, a, 1));
      return std::optional<Value>(std::move(out));
    }
    case FunctionKind::get_property:
    case FunctionKind::get_attribute: {
      if (!args.is_list() || args.as_list().size() < 2) return fail("needs [entity, name, ...]");
      IOT_ASSIGN(auto r, property(args.as_list(), scope, kind == FunctionKind::get_attribute, depth));
      // A value that still holds a run-time function is deferred as a whole: its SELF is the
      // other node, so the expression cannot be copied here as it is.
      if (lookup_ == nullptr && r && contains_function(*r)) return std::optional<Value>();
      return r;
    }
    case FunctionKind::get_operation_output: {
      if (lookup_ == nullptr) return std::optional<Value>();
      if (!args.is_list() || args.as_list().size() != 4) return fail("needs [entity, interface, operation, output]");
      const auto& a = args.as_list();
      IOT_ASSIGN(auto nodes, entity(a[0], scope));
      RuntimeRef ref;
      ref.kind = RuntimeRef::Kind::operation_output;
      ref.node = nodes[0] == kNoNode ? std::string() : model_.nodes[nodes[0]].name;
      ref.interface = a[1].scalar_text();
      ref.operation = a[2].scalar_text();
      ref.name = a[3].scalar_text();
      if (auto v = (*lookup_)(ref)) return std::optional<Value>(std::move(*v));
      return make_error(Errc::not_found, "output `" + ref.name + "` of " + ref.interface + "." + ref.operation + " on `" +
                                             ref.node + "` is not known yet");
    }
    case FunctionKind::get_artifact: {
      if (lookup_ == nullptr) return std::optional<Value>();
      if (!args.is_list() || args.as_list().size() < 2) return fail("needs [entity, artifact, ...]");
      const auto& a = args.as_list();
      IOT_ASSIGN(auto nodes, entity(a[0], scope));
      if (nodes[0] == kNoNode) return fail("SELF of a relationship has no artifacts");
      const NodeInstance& n = model_.nodes[nodes[0]];
      RuntimeRef ref;
      ref.kind = RuntimeRef::Kind::artifact_location;
      ref.node = n.name;
      ref.name = a[1].scalar_text();
      if (a.size() >= 3) ref.location = a[2].scalar_text();
      if (auto v = (*lookup_)(ref)) return std::optional<Value>(std::move(*v));
      for (const auto& art : n.artifacts)
        if (art.name == ref.name && ref.location.empty()) return std::optional<Value>(Value(art.file));
      return make_error(Errc::not_found, "artifact `" + ref.name + "` of `" + n.name + "` has no location yet");
    }
    case FunctionKind::get_nodes_of_type: {
      const Value& t = args.is_list() && !args.as_list().empty() ? args.as_list()[0] : args;
      Value::List out;
      for (const auto& n : model_.nodes)
        if (n.is_a(t.scalar_text())) out.emplace_back(n.name);
      return std::optional<Value>(Value(std::move(out)));
    }
    case FunctionKind::concat: {
      if (!args.is_list()) return fail("needs a list");
      std::string out;
      for (const auto& x : args.as_list()) {
        IOT_ASSIGN(Value v, tree(x, scope, nullptr, "", depth + 1));
        if (contains_function(v)) return std::optional<Value>();
        IOT_ASSIGN(std::string s, text_of(v, name));
        out += s;
      }
      return std::optional<Value>(Value(std::move(out)));
    }
    case FunctionKind::join: {
      if (!args.is_list() || args.as_list().empty()) return fail("needs [[strings...], delimiter]");
      IOT_ASSIGN(Value list, tree(args.as_list()[0], scope, nullptr, "", depth + 1));
      if (contains_function(list)) return std::optional<Value>();
      if (!list.is_list()) return fail("the first argument is not a list");
      std::string delim = args.as_list().size() > 1 ? args.as_list()[1].scalar_text() : std::string();
      std::string out;
      bool first = true;
      for (const auto& x : list.as_list()) {
        IOT_ASSIGN(std::string s, text_of(x, name));
        if (!first) out += delim;
        first = false;
        out += s;
      }
      return std::optional<Value>(Value(std::move(out)));
    }
    case FunctionKind::token: {
      if (!args.is_list() || args.as_list().size() != 3) return fail("needs [string, separators, index]");
      const auto& a = args.as_list();
      IOT_ASSIGN(Value subject, tree(a[0], scope, nullptr, "", depth + 1));
      if (contains_function(subject)) return std::optional<Value>();
      IOT_ASSIGN(std::string s, text_of(subject, name));
      std::string seps = a[1].scalar_text();
      if (!a[2].is_int() || seps.empty()) return fail("needs separators and an integer index");
      std::vector<std::string> parts{std::string()};
      for (char c : s) {
        if (seps.find(c) != std::string::npos) parts.emplace_back();
        else parts.back() += c;
      }
      int64_t idx = a[2].as_int();
      if (idx < 0 || static_cast<size_t>(idx) >= parts.size())
        return fail("`" + s + "` has " + std::to_string(parts.size()) + " tokens; there is no token " + std::to_string(idx));
      return std::optional<Value>(Value(parts[static_cast<size_t>(idx)]));
    }
  }
  return std::optional<Value>();
}

Result<Value> Evaluator::tree(const Value& v, const Scope& scope, std::vector<std::string>* deferred,
                              const std::string& path, int depth) {
  if (depth > kMaxDepth) return make_error(Errc::invalid_argument, "functions refer to each other in a cycle");
  if (function_kind(v)) {
    IOT_ASSIGN(auto r, call(v, scope, depth));
    if (r) {
      Value out = std::move(*r);
      out.set_mark(v.mark());
      return out;
    }
    if (lookup_ != nullptr) return make_error(Errc::not_found, "cannot evaluate " + v.to_string());
    if (deferred != nullptr) deferred->push_back(path);
    return v;
  }
  if (v.is_list()) {
    Value::List out;
    out.reserve(v.as_list().size());
    size_t i = 0;
    for (const auto& e : v.as_list()) {
      IOT_ASSIGN(Value x, tree(e, scope, deferred, index_path(path, i++), depth));
      out.push_back(std::move(x));
    }
    return Value(std::move(out)).with_mark(v.mark());
  }
  if (v.is_map()) {
    Value::Map out;
    out.reserve(v.as_map().size());
    for (const auto& [k, e] : v.as_map()) {
      IOT_ASSIGN(Value x, tree(e, scope, deferred, child_path(path, k), depth));
      out.emplace_back(k, std::move(x));
    }
    return Value(std::move(out)).with_mark(v.mark());
  }
  return v;
}

}  // namespace iotwins::tosca
