// Intrinsic functions checked in their context: argument shapes, SELF/SOURCE/TARGET/HOST
// only where they mean something, and that the named entity, requirement, capability,
// property, attribute, interface, operation or artifact exists.
#include "tosca/validator.h"

namespace iotwins::tosca {

namespace {

bool is_key(const Value& v) { return v.is_string() || v.is_int(); }

}  // namespace

void Validator::check_functions(const Value& v, const FnContext& ctx, const std::string& path) {
  auto kind = function_kind(v);
  if (!kind) {
    if (v.is_list()) {
      size_t i = 0;
      for (const auto& e : v.as_list()) check_functions(e, ctx, index_path(path, i++));
    } else if (v.is_map()) {
      for (const auto& [k, e] : v.as_map()) check_functions(e, ctx, child_path(path, k));
    }
    return;
  }
  const std::string fname(function_name(*kind));
  const Value& args = function_args(v);
  const std::string fpath = child_path(path, fname);
  auto bad = [&](std::string why) { error(Code::invalid_function, v.mark(), fpath, fname + ": " + why); };
  const auto& nodes = topology().node_templates;

  // Nodes an entity name stands for here; empty (after reporting) when it is not usable.
  struct Entity {
    std::vector<size_t> nodes;            // candidate node templates (HOST: the host chain)
    const TypeDef* relationship = nullptr;  // SELF inside a relationship
    bool ok = false;
  };
  auto entity = [&](const Value& name_value) -> Entity {
    Entity e;
    if (!name_value.is_string()) {
      bad("the first argument names an entity (SELF, SOURCE, TARGET, HOST or a node template), found " +
          name_value.to_string());
      return e;
    }
    const std::string& name = name_value.as_string();
    bool keyword = name == "SELF" || name == "SOURCE" || name == "TARGET" || name == "HOST";
    if (keyword && ctx.in_output) {
      bad(name + " has no meaning here; name a node template");
      return e;
    }
    if (name == "SELF") {
      if (ctx.link != nullptr) e.relationship = ctx.link->relationship_type;
      else if (ctx.self != nullptr) e.nodes.push_back(r_.node_index.at(ctx.self->name));
      else {
        bad("SELF has no meaning here; name a node template");
        return e;
      }
    } else if (name == "SOURCE" || name == "TARGET") {
      if (ctx.link == nullptr) {
        bad(name + " is only meaningful inside a relationship (its properties or interfaces)");
        return e;
      }
      e.nodes.push_back(name == "SOURCE" ? ctx.link->source : ctx.link->target);
    } else if (name == "HOST") {
      if (ctx.self == nullptr) {
        bad("HOST is only meaningful inside a node template");
        return e;
      }
      size_t cur = r_.node_index.at(ctx.self->name);
      for (size_t guard = 0; guard < nodes.size(); ++guard) {
        const Link* host = nullptr;
        for (const auto& l : r_.links[cur])
          if (reg_.is_a(l.relationship_type, "tosca.relationships.HostedOn")) host = &l;
        if (host == nullptr) break;
        cur = host->target;
        e.nodes.push_back(cur);
      }
      if (e.nodes.empty()) {
        bad("HOST: node template `" + ctx.self->name + "` is not hosted on anything (no HostedOn requirement)");
        return e;
      }
    } else if (auto it = r_.node_index.find(name); it != r_.node_index.end()) {
      e.nodes.push_back(it->second);
    } else if (auto rt = r_.relationship_template_types.find(name); rt != r_.relationship_template_types.end()) {
      e.relationship = rt->second;
      if (e.relationship == nullptr) return e;
    } else {
      error(Code::unknown_node_template, name_value.mark(), fpath,
            fname + ": `" + name + "` is not a node template or relationship template");
      return e;
    }
    e.ok = true;
    return e;
  };

  switch (*kind) {
    case FunctionKind::get_input: {
      const Value* name = &args;
      if (args.is_list()) {
        if (args.as_list().empty()) return bad("needs the input name");
        name = &args.as_list()[0];
        for (size_t i = 1; i < args.as_list().size(); ++i)
          if (!is_key(args.as_list()[i])) return bad("nested path entries are keys or indexes");
      }
      if (!name->is_string()) return bad("the input name must be a string");
      if (topology().inputs.count(name->as_string()) == 0)
        error(Code::unknown_input, v.mark(), fpath, "get_input: `" + name->as_string() + "` is not a declared input");
      return;
    }
    case FunctionKind::get_property:
    case FunctionKind::get_attribute: {
      bool attr = *kind == FunctionKind::get_attribute;
      if (!args.is_list() || args.as_list().size() < 2)
        return bad("takes [entity, (requirement or capability,) " + std::string(attr ? "attribute" : "property") + ", nested keys...]");
      const auto& a = args.as_list();
      for (size_t i = 1; i < a.size(); ++i)
        if (!is_key(a[i])) return bad("argument " + std::to_string(i + 1) + " must be a name or an index, found " + a[i].to_string());
      Entity e = entity(a[0]);
      if (!e.ok) return;
      auto has = [&](const PropertyDefs& props, const PropertyDefs& attrs, const std::string& n) {
        return props.count(n) > 0 || (attr && attrs.count(n) > 0);
      };
      if (e.relationship != nullptr) {
        if (!a[1].is_string() || !has(reg_.properties(e.relationship), reg_.attributes(e.relationship), a[1].as_string()))
          error(attr ? Code::unknown_attribute : Code::unknown_property, v.mark(), fpath,
                fname + ": relationship " + e.relationship->name + " has no " + (attr ? "attribute" : "property") + " `" +
                    a[1].scalar_text() + "`");
        return;
      }
      // For HOST the first host that has it answers; otherwise the one entity.
      std::string tried;
      for (size_t idx : e.nodes) {
        const TypeDef* t = r_.node_types[idx];
        if (t == nullptr) return;
        const std::string& second = a[1].is_string() ? a[1].as_string() : std::string();
        if (has(reg_.properties(t), reg_.attributes(t), second)) return;
        if (a.size() >= 3 && a[2].is_string()) {
          const auto& caps = reg_.capabilities(t);
          if (auto c = caps.find(second); c != caps.end()) {
            const TypeDef* ct = reg_.find(Family::capability, c->second.type);
            if (ct == nullptr) return;
            PropertyDefs props = reg_.properties(ct);
            for (const auto& [pn, pd] : c->second.properties) props.insert_or_assign(pn, pd);
            PropertyDefs attrs = reg_.attributes(ct);
            for (const auto& [an, ad] : c->second.attributes) attrs.insert_or_assign(an, ad);
            if (has(props, attrs, a[2].as_string())) return;
            tried = "capability `" + second + "` of `" + nodes[idx].name + "` has no " + (attr ? "attribute" : "property") +
                    " `" + a[2].as_string() + "`";
            continue;
          }
          bool is_req = false;
          for (const auto& l : r_.links[idx]) {
            if (l.requirement != second) continue;
            is_req = true;
            const TypeDef* tt = r_.node_types[l.target];
            if (tt != nullptr && has(reg_.properties(tt), reg_.attributes(tt), a[2].as_string())) return;
            if (tt != nullptr) {
              const auto& tcaps = reg_.capabilities(tt);
              if (auto c = tcaps.find(l.capability); c != tcaps.end())
                if (const TypeDef* ct = reg_.find(Family::capability, c->second.type);
                    ct != nullptr && has(reg_.properties(ct), reg_.attributes(ct), a[2].as_string()))
                  return;
            }
          }
          if (is_req) {
            tried = "the target of requirement `" + second + "` of `" + nodes[idx].name + "` has no " +
                    (attr ? "attribute" : "property") + " `" + a[2].as_string() + "`";
            continue;
          }
        }
        if (tried.empty())
          tried = "node template `" + nodes[idx].name + "` (" + t->name + ") has no " + (attr ? "attribute" : "property") +
                  " `" + a[1].scalar_text() + "`";
      }
      error(attr ? Code::unknown_attribute : Code::unknown_property, v.mark(), fpath, fname + ": " + tried);
      return;
    }
    case FunctionKind::get_operation_output: {
      if (!args.is_list() || args.as_list().size() != 4)
        return bad("takes [entity, interface, operation, output name]");
      const auto& a = args.as_list();
      for (const auto& x : a)
        if (!x.is_string()) return bad("every argument is a name");
      Entity e = entity(a[0]);
      if (!e.ok) return;
      InterfaceDefs ifs;
      if (e.relationship != nullptr) ifs = reg_.interfaces(e.relationship);
      else if (!e.nodes.empty() && r_.node_types[e.nodes[0]] != nullptr) ifs = reg_.interfaces(r_.node_types[e.nodes[0]]);
      else return;
      auto it = ifs.find(a[1].as_string());
      if (it == ifs.end()) {
        error(Code::unknown_interface, v.mark(), fpath, fname + ": `" + a[0].as_string() + "` has no interface `" + a[1].as_string() + "`");
        return;
      }
      bool found = it->second.operations.count(a[2].as_string()) > 0;
      if (const TypeDef* it_type = reg_.find(Family::interface, it->second.type))
        found = found || reg_.operations(it_type).count(a[2].as_string()) > 0;
      if (!found)
        error(Code::unknown_operation, v.mark(), fpath,
              fname + ": interface `" + a[1].as_string() + "` has no operation `" + a[2].as_string() + "`");
      return;
    }
    case FunctionKind::get_nodes_of_type: {
      const Value& t = args.is_list() && args.as_list().size() == 1 ? args.as_list()[0] : args;
      if (!t.is_string()) return bad("takes a node type name");
      require_type(Family::node, t.as_string(), v.mark(), fpath, "the argument of get_nodes_of_type");
      return;
    }
    case FunctionKind::get_artifact: {
      if (!args.is_list() || args.as_list().size() < 2 || args.as_list().size() > 4)
        return bad("takes [entity, artifact name, (location, (remove))]");
      const auto& a = args.as_list();
      if (!a[1].is_string()) return bad("the artifact name must be a string");
      if (a.size() >= 3 && !a[2].is_string()) return bad("the location must be a string (a path or LOCAL_FILE)");
      if (a.size() == 4 && !a[3].is_bool()) return bad("remove must be true or false");
      Entity e = entity(a[0]);
      if (!e.ok || e.nodes.empty()) return;
      size_t idx = e.nodes[0];
      const TypeDef* t = r_.node_types[idx];
      if (nodes[idx].artifacts.count(a[1].as_string()) == 0 && (t == nullptr || reg_.artifacts(t).count(a[1].as_string()) == 0))
        error(Code::unknown_artifact, v.mark(), fpath,
              fname + ": node template `" + nodes[idx].name + "` has no artifact `" + a[1].as_string() + "`");
      return;
    }
    case FunctionKind::concat: {
      if (!args.is_list() || args.as_list().empty()) return bad("takes a list of strings and functions to join");
      size_t i = 0;
      for (const auto& x : args.as_list()) {
        if (!x.is_scalar() && !function_kind(x)) return bad("arguments are scalars or functions, found " + x.to_string());
        check_functions(x, ctx, index_path(fpath, i++));
      }
      return;
    }
    case FunctionKind::join: {
      if (!args.is_list() || args.as_list().empty() || args.as_list().size() > 2) return bad("takes [[strings...], delimiter]");
      const Value& list = args.as_list()[0];
      if (!list.is_list() && !function_kind(list)) return bad("the first argument is a list of strings");
      if (args.as_list().size() == 2 && !args.as_list()[1].is_string()) return bad("the delimiter must be a string");
      check_functions(list, ctx, index_path(fpath, 0));
      return;
    }
    case FunctionKind::token: {
      if (!args.is_list() || args.as_list().size() != 3) return bad("takes [string, separator characters, index]");
      const auto& a = args.as_list();
      if (!a[0].is_string() && !function_kind(a[0])) return bad("the first argument is a string or a function");
      if (!a[1].is_string() || a[1].as_string().empty()) return bad("the separators must be a non-empty string");
      if (!a[2].is_int() || a[2].as_int() < 0) return bad("the index must be a non-negative integer");
      check_functions(a[0], ctx, index_path(fpath, 0));
      return;
    }
  }
}

}  // namespace iotwins::tosca
