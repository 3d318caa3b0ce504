// Checks of type definitions: derivation (exists, same family, no cycle), property,
// attribute and parameter definitions (types, schemas, defaults, constraints, overrides),
// and the types named by capability, requirement, interface and artifact definitions.
#include "tosca/validator.h"

namespace iotwins::tosca {

const TypeDef* Validator::require_type(Family family, const std::string& name, const Mark& mark,
                                       const std::string& path, const std::string& what) {
  if (name.empty()) return nullptr;
  if (const TypeDef* t = reg_.find(family, name)) return t;
  if (auto colon = name.find(':'); colon != std::string::npos && name.compare(0, colon, "tosca") != 0) {
    error(Code::unknown_namespace, mark, path,
          "`" + name + "` uses the namespace prefix `" + name.substr(0, colon) +
              "`, which no import declares as its namespace_prefix, or whose file has no such type (" + what + ")");
    return nullptr;
  }
  if (const TypeDef* other = reg_.find_any(name)) {
    error(Code::wrong_type_family, mark, path,
          "`" + name + "` is a " + std::string(family_name(other->family)) + ", but a " +
              std::string(family_name(family)) + " is needed here (" + what + ")");
    return nullptr;
  }
  error(Code::unknown_type, mark, path,
        "`" + name + "` is not a defined " + std::string(family_name(family)) + " (" + what + ")");
  return nullptr;
}

void Validator::check_schema(const Schema& s, const Mark& fallback, const std::string& path) {
  if (s.type.empty()) return;
  const Mark& m = s.type_mark.line > 0 ? s.type_mark : fallback;
  const TypeDef* t = require_type(Family::data, s.type, m, child_path(path, "type"), "the type at " + path);
  if (t != nullptr) {
    check_constraint_args(s.constraints, t, child_path(path, "constraints"));
    const TypeDef* prim = reg_.primitive_of(t);
    bool container = prim != nullptr && (prim->name == "list" || prim->name == "map");
    if (s.entry_schema && !container)
      error(Code::invalid_value, m, child_path(path, "entry_schema"),
            "entry_schema is only meaningful for list and map types, not `" + s.type + "`");
    if (s.key_schema) {
      if (prim == nullptr || prim->name != "map")
        error(Code::invalid_value, m, child_path(path, "key_schema"), "key_schema is only meaningful for map types");
      else if (const TypeDef* kt = reg_.find(Family::data, s.key_schema->type);
               kt != nullptr && (reg_.primitive_of(kt) == nullptr || reg_.primitive_of(kt)->name != "string"))
        error(Code::invalid_value, s.key_schema->type_mark, child_path(path, "key_schema"),
              "map keys are strings; key_schema type `" + s.key_schema->type + "` is not derived from string");
    }
  }
  if (s.entry_schema) check_schema(*s.entry_schema, m, child_path(path, "entry_schema"));
  if (s.key_schema) check_schema(*s.key_schema, m, child_path(path, "key_schema"));
}

void Validator::check_property_defs(const PropertyDefs& defs, bool attributes) {
  for (const auto& [name, def] : defs) {
    check_schema(def.schema, def.mark, def.path);
    if (def.default_value)
      check_value(*def.default_value, def.schema, child_path(def.path, "default"),
                  std::string("the default of ") + (attributes ? "attribute" : "property") + " `" + name + "`");
  }
}

namespace {
bool same_or_derived(const TypeRegistry& reg, const std::string& derived, const std::string& base) {
  return derived == base || reg.is_a(Family::data, derived, base);
}
}  // namespace

void Validator::check_type_definitions(const ServiceFile& file) {
  for (const TypeDef& t : file.types) {
    std::string what = std::string(family_name(t.family)) + " `" + t.name + "`";
    if (!t.derived_from.empty()) {
      const TypeDef* parent = require_type(t.family, t.derived_from, t.derived_mark, child_path(t.path, "derived_from"),
                                           "the parent of " + what);
      if (parent != nullptr) {
        auto chain = reg_.chain(&t);
        const TypeDef* last = chain.back();
        if (!last->derived_from.empty()) {
          const TypeDef* next = reg_.find(t.family, last->derived_from);
          if (next != nullptr && std::find(chain.begin(), chain.end(), next) != chain.end())
            error(Code::derivation_cycle, t.derived_mark, child_path(t.path, "derived_from"),
                  what + " derives from itself through " + last->name);
        }
        // A redefined property must keep a compatible type.
        for (const auto& [pname, pdef] : t.properties) {
          auto inherited = reg_.properties(parent).find(pname);
          if (inherited == reg_.properties(parent).end() || pdef.schema.type.empty()) continue;
          if (!same_or_derived(reg_, pdef.schema.type, inherited->second.schema.type))
            error(Code::invalid_override, pdef.schema.type_mark, child_path(pdef.path, "type"),
                  what + " redefines property `" + pname + "` as `" + pdef.schema.type + "`, but " + parent->name +
                      " defines it as `" + inherited->second.schema.type + "`");
        }
      }
    } else if (!t.primitive && t.family == Family::data && t.properties.empty() && !t.builtin &&
               t.name != family_root(Family::data)) {
      // A data type that derives from nothing and defines nothing cannot hold any value.
      error(Code::missing_field, t.mark, t.path, what + " needs `derived_from` or `properties`");
    }
    check_property_defs(t.properties, false);
    check_property_defs(t.attributes, true);
    check_property_defs(t.inputs, false);
    if (t.family == Family::data) {
      check_constraint_args(t.constraints, &t, child_path(t.path, "constraints"));
      if (!t.properties.empty() && reg_.primitive_of(&t) != nullptr)
        error(Code::invalid_value, t.mark, t.path,
              what + " derives from primitive `" + reg_.primitive_of(&t)->name + "` and cannot also have properties");
      if (t.entry_schema) check_schema(*t.entry_schema, t.mark, child_path(t.path, "entry_schema"));
      if (t.key_schema) check_schema(*t.key_schema, t.mark, child_path(t.path, "key_schema"));
    }
    for (const auto& [cname, c] : t.capabilities) {
      require_type(Family::capability, c.type, c.type_mark, child_path(c.path, "type"), "the type of capability `" + c.name + "`");
      check_property_defs(c.properties, false);
      check_property_defs(c.attributes, true);
      for (const auto& src : c.valid_source_types)
        require_type(Family::node, src, c.mark, child_path(c.path, "valid_source_types"), "valid source type");
    }
    for (const auto& r : t.requirements) {
      require_type(Family::capability, r.capability, r.capability_mark, child_path(r.path, "capability"),
                   "requirement `" + r.name + "` capability");
      if (!r.node.empty())
        require_type(Family::node, r.node, r.node_mark, child_path(r.path, "node"), "requirement `" + r.name + "` node");
      if (!r.relationship.empty())
        require_type(Family::relationship, r.relationship, r.relationship_mark, child_path(r.path, "relationship"),
                     "requirement `" + r.name + "` relationship");
    }
    const TypeDef* parent = t.derived_from.empty() ? nullptr : reg_.find(t.family, t.derived_from);
    for (const auto& [iname, idef] : t.interfaces) {
      bool inherited = parent != nullptr && reg_.interfaces(parent).count(iname) > 0;
      if (idef.type.empty() && !inherited) {
        error(Code::missing_field, idef.mark, idef.path, "interface `" + iname + "` of " + what + " needs a `type`");
        continue;
      }
      if (!idef.type.empty())
        require_type(Family::interface, idef.type, idef.type_mark, child_path(idef.path, "type"), "the type of interface `" + idef.name + "`");
      check_property_defs(idef.input_defs, false);
      for (const auto& [on, op] : idef.operations) check_property_defs(op.input_defs, false);
    }
    for (const auto& [on, op] : t.operations) check_property_defs(op.input_defs, false);
    for (const auto& [aname, a] : t.artifacts) check_artifact(a, file.repositories);
    for (const auto& vt : t.valid_target_types) {
      // 1.3 lets a relationship name capability types or node types as valid targets.
      if (reg_.find(Family::capability, vt) == nullptr && reg_.find(Family::node, vt) == nullptr)
        require_type(Family::capability, vt, t.mark, child_path(t.path, "valid_target_types"), "valid target type");
    }
    for (const auto& vs : t.valid_source_types)
      require_type(Family::node, vs, t.mark, child_path(t.path, "valid_source_types"), "valid source type");
    for (const auto& m : t.members) {
      if (reg_.find(Family::node, m) == nullptr && reg_.find(Family::group, m) == nullptr)
        require_type(Family::node, m, t.mark, child_path(t.path, "members"), "group member type");
    }
    for (const auto& target : t.targets) {
      if (reg_.find(Family::node, target) == nullptr && reg_.find(Family::group, target) == nullptr)
        require_type(Family::node, target, t.mark, child_path(t.path, "targets"), "policy target type");
    }
  }
}

void Validator::check_artifact(const ArtifactDef& a, const std::map<std::string, RepositoryDef>& repos) {
  if (!a.type.empty())
    require_type(Family::artifact, a.type, a.type_mark.line > 0 ? a.type_mark : a.mark, child_path(a.path, "type"),
                 "artifact type");
  if (!a.repository.empty() && repos.count(a.repository) == 0)
    error(Code::unknown_repository, a.mark, child_path(a.path, "repository"),
          "artifact `" + a.name + "` names repository `" + a.repository + "`, which is not declared under `repositories`");
}

}  // namespace iotwins::tosca
