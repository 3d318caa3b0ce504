// Requirements: each assignment (and each required but unassigned requirement) bound to a
// target node template's capability through a relationship, with node types, capability
// types, valid source/target types, node_filter and occurrences enforced.
#include <algorithm>
#include "tosca/validator.h"

namespace iotwins::tosca {

namespace {

const Value* input_value(const Value& v, const Value& inputs) {
  if (function_kind(v) == FunctionKind::get_input) {
    const Value& a = function_args(v);
    if (a.is_string()) return inputs.find(a.as_string());
    return nullptr;
  }
  return &v;
}

}  // namespace

bool Validator::passes_node_filter(const Value& filter, size_t target, std::string* why) {
  if (!filter.is_map()) return true;
  const NodeTemplate& n = topology().node_templates[target];
  const TypeDef* type = r_.node_types[target];
  if (type == nullptr) return true;
  // Checks a list of {property: clause | [clauses]} against assigned values or defaults.
  auto check_props = [&](const Value& list, const Value& assigned, const PropertyDefs& defs, const std::string& where) {
    if (!list.is_list()) return true;
    for (const auto& item : list.as_list()) {
      if (!item.is_map() || item.as_map().size() != 1) continue;
      const auto& [pname, clauses] = item.as_map().front();
      auto def = defs.find(pname);
      const Value* value = assigned.is_map() ? assigned.find(pname) : nullptr;
      if (value == nullptr && def != defs.end() && def->second.default_value) value = &*def->second.default_value;
      if (value != nullptr) value = input_value(*value, r_.inputs);
      if (value != nullptr && contains_function(*value)) continue;  // decided at run time
      if (value == nullptr) {
        if (why) *why = where + " has no value for property `" + pname + "`";
        return false;
      }
      const TypeDef* prim = def != defs.end() ? reg_.primitive_of(data_type(def->second.schema.type)) : nullptr;
      std::vector<Value> clause_list;
      if (clauses.is_list()) clause_list = clauses.as_list();
      else clause_list.push_back(clauses);
      for (const auto& clause : clause_list) {
        if (!clause.is_map() || clause.as_map().size() != 1) continue;
        Constraint c;
        const auto& [op, arg] = clause.as_map().front();
        bool known = false;
        for (auto o : {ConstraintOp::equal, ConstraintOp::greater_than, ConstraintOp::greater_or_equal,
                       ConstraintOp::less_than, ConstraintOp::less_or_equal, ConstraintOp::in_range,
                       ConstraintOp::valid_values, ConstraintOp::length, ConstraintOp::min_length,
                       ConstraintOp::max_length, ConstraintOp::pattern}) {
          if (constraint_op_name(o) == op) {
            c.op = o;
            known = true;
          }
        }
        if (!known) continue;
        c.arg = arg;
        if (auto failure = constraint_failure(c, *value, prim)) {
          if (why) *why = where + " property `" + pname + "`: " + *failure;
          return false;
        }
      }
    }
    return true;
  };
  if (const Value* props = filter.find("properties"))
    if (!check_props(*props, n.properties, reg_.properties(type), "node `" + n.name + "`")) return false;
  if (const Value* caps = filter.find("capabilities"); caps != nullptr && caps->is_list()) {
    const auto& cap_defs = reg_.capabilities(type);
    for (const auto& item : caps->as_list()) {
      if (!item.is_map() || item.as_map().size() != 1) continue;
      const auto& [cref, cfilter] = item.as_map().front();
      const CapabilityDef* cdef = nullptr;
      if (auto it = cap_defs.find(cref); it != cap_defs.end()) cdef = &it->second;
      else
        for (const auto& [cn, cd] : cap_defs)
          if (cdef == nullptr && reg_.is_a(Family::capability, cd.type, cref)) cdef = &cd;
      if (cdef == nullptr) {
        if (why) *why = "node `" + n.name + "` has no capability `" + cref + "`";
        return false;
      }
      const TypeDef* ctype = reg_.find(Family::capability, cdef->type);
      if (ctype == nullptr || !cfilter.is_map()) continue;
      PropertyDefs defs = reg_.properties(ctype);
      for (const auto& [pn, pd] : cdef->properties) defs.insert_or_assign(pn, pd);
      Value assigned;
      if (auto a = n.capabilities.find(cdef->name); a != n.capabilities.end()) assigned = a->second.properties;
      if (const Value* props = cfilter.find("properties"))
        if (!check_props(*props, assigned, defs, "capability `" + cdef->name + "` of node `" + n.name + "`")) return false;
    }
  }
  return true;
}

namespace {

// The shape of a node_filter, reported once where it is written.
void check_filter_shape(Validator& v, const Value& f, const std::string& path) {
  if (f.is_null()) return;
  if (!f.is_map()) {
    v.error(Code::wrong_kind, f.mark(), path, "a node_filter must be a map with `properties` and/or `capabilities`");
    return;
  }
  for (const auto& [key, val] : f.as_map()) {
    std::string p = child_path(path, key);
    if (key != "properties" && key != "capabilities") {
      v.error(Code::unknown_field, val.mark(), p, "`" + key + "` is not a keyname of a node_filter (properties, capabilities)");
    } else if (!val.is_list()) {
      v.error(Code::wrong_kind, val.mark(), p, "node_filter `" + key + "` must be a list of single-key maps");
    }
  }
}

}  // namespace

void Validator::match_requirements() {
  const auto& nodes = topology().node_templates;
  std::map<std::string, const RelationshipTemplate*> rel_templates;
  for (const auto& rt : topology().relationship_templates) rel_templates[rt.name] = &rt;
  std::map<std::pair<size_t, std::string>, std::pair<int64_t, const Link*>> cap_uses;

  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeTemplate& n = nodes[i];
    const TypeDef* type = r_.node_types[i];
    if (type == nullptr) continue;
    const auto& defs = reg_.requirements(type);
    std::map<std::string, int64_t> used;
    std::map<std::string, const RequirementAssignment*> last;

    auto bind = [&](const RequirementDef& def, const RequirementAssignment* a) -> bool {
      const std::string path = a != nullptr ? a->path : child_path(n.path, "requirements");
      const Mark& mark = a != nullptr ? a->mark : n.mark;
      const std::string who = "requirement `" + def.name + "` of node template `" + n.name + "`";
      const std::string& cap_req = (a != nullptr && !a->capability.empty()) ? a->capability : def.capability;
      const Value& filter = (a != nullptr && !a->node_filter.is_null()) ? a->node_filter : def.node_filter;
      if (a != nullptr) check_filter_shape(*this, a->node_filter, child_path(path, "node_filter"));
      const TypeDef* cap_type_req = reg_.find(Family::capability, cap_req);
      const TypeDef* def_cap_type = reg_.find(Family::capability, def.capability);

      // The capability of a target that fits: by name, else by type.
      auto find_cap = [&](const TypeDef* target_type, std::string* why) -> const CapabilityDef* {
        const auto& caps = reg_.capabilities(target_type);
        if (auto it = caps.find(cap_req); it != caps.end()) {
          if (def_cap_type != nullptr && !reg_.is_a(Family::capability, it->second.type, def_cap_type->name)) {
            if (why) *why = "its capability `" + cap_req + "` is a " + it->second.type + ", not a " + def_cap_type->name;
            return nullptr;
          }
          return &it->second;
        }
        const TypeDef* want = cap_type_req != nullptr ? cap_type_req : def_cap_type;
        if (want == nullptr) {
          if (why) *why = "it has no capability named `" + cap_req + "`";
          return nullptr;
        }
        for (const auto& [cn, cd] : caps)
          if (reg_.is_a(Family::capability, cd.type, want->name)) return &cd;
        if (why) *why = "it has no capability of type " + want->name;
        return nullptr;
      };

      // Which node type the target must be.
      std::string node_req = def.node;
      size_t target = SIZE_MAX;
      const std::string& named = a != nullptr ? a->node : std::string();
      if (!named.empty()) {
        if (auto it = r_.node_index.find(named); it != r_.node_index.end()) {
          target = it->second;
        } else if (reg_.find(Family::node, named) != nullptr) {
          node_req = named;  // an abstract requirement: any node of this type
        } else {
          error(Code::unknown_node_template, a->node_mark, child_path(path, "node"),
                who + " names `" + named + "`, which is neither a node template nor a node type");
          return true;  // reported; not also unsatisfied
        }
      }
      const CapabilityDef* cap = nullptr;
      if (target != SIZE_MAX) {
        const TypeDef* ttype = r_.node_types[target];
        if (ttype == nullptr) return true;
        if (!def.node.empty() && reg_.find(Family::node, def.node) != nullptr && !reg_.is_a(ttype, def.node)) {
          error(Code::invalid_target, a->node_mark, child_path(path, "node"),
                who + " needs a node of type " + def.node + "; `" + named + "` is a " + ttype->name);
          return true;
        }
        std::string why;
        cap = find_cap(ttype, &why);
        if (cap == nullptr) {
          error(Code::capability_mismatch, a->node_mark, child_path(path, "node"),
                who + " cannot use node template `" + named + "`: " + why);
          return true;
        }
        if (!passes_node_filter(filter, target, &why)) {
          error(Code::node_filter_mismatch, a->node_mark, child_path(path, "node"),
                who + " targets `" + named + "`, which does not pass the node_filter: " + why);
          return true;
        }
      } else {
        for (size_t k = 0; k < nodes.size() && target == SIZE_MAX; ++k) {
          if (k == i || r_.node_types[k] == nullptr) continue;
          if (!node_req.empty() && !reg_.is_a(r_.node_types[k], node_req)) continue;
          const CapabilityDef* c = find_cap(r_.node_types[k], nullptr);
          if (c == nullptr || !passes_node_filter(filter, k, nullptr)) continue;
          target = k;
          cap = c;
        }
        if (target == SIZE_MAX) {
          error(Code::unsatisfied_requirement, mark, path,
                who + " needs a node" + (node_req.empty() ? "" : " of type " + node_req) + " with a " +
                    (cap_req.empty() ? std::string("capability") : cap_req + " capability") +
                    (filter.is_null() ? "" : " that passes the node_filter") + "; no node template in the topology fits");
          return false;
        }
      }

      Link link;
      link.source = i;
      link.requirement = def.name;
      link.target = target;
      link.capability = cap->name;
      link.implicit = a == nullptr;
      link.mark = mark;
      link.path = path;
      const std::string& rel_name = a != nullptr ? a->relationship : std::string();
      const Mark& rel_mark = a != nullptr && a->relationship_mark.line > 0 ? a->relationship_mark : mark;
      if (!rel_name.empty()) {
        if (auto rt = rel_templates.find(rel_name); rt != rel_templates.end()) {
          link.relationship_template = rt->second;
          link.relationship_type = reg_.find(Family::relationship, rt->second->type);
          link.properties = rt->second->properties;
          link.interfaces = rt->second->interfaces;
          if (link.relationship_type == nullptr) return true;  // reported with the template
        } else {
          link.relationship_type = require_type(Family::relationship, rel_name, rel_mark, child_path(path, "relationship"),
                                                "relationship");
          if (link.relationship_type == nullptr) return true;
        }
      } else if (!def.relationship.empty()) {
        link.relationship_type = reg_.find(Family::relationship, def.relationship);
      }
      if (link.relationship_type == nullptr) link.relationship_type = reg_.find(Family::relationship, "tosca.relationships.DependsOn");
      if (link.relationship_type == nullptr) return true;
      if (a != nullptr) {
        for (const auto& [k, v] : a->relationship_properties.is_map() ? a->relationship_properties.as_map() : Value::Map{})
          link.properties.set(k, v);
        for (const auto& [k, v] : a->relationship_interfaces) link.interfaces.insert_or_assign(k, v);
      }
      if (!def.relationship.empty() && reg_.find(Family::relationship, def.relationship) != nullptr &&
          !reg_.is_a(link.relationship_type, def.relationship))
        error(Code::invalid_relationship, rel_mark, child_path(path, "relationship"),
              who + " uses relationship " + link.relationship_type->name + ", but its definition requires " + def.relationship);
      // valid_target_types: the nearest type in the chain that lists some decides.
      const TypeDef* cap_type = reg_.find(Family::capability, cap->type);
      for (const TypeDef* rt : reg_.chain(link.relationship_type)) {
        if (rt->valid_target_types.empty()) continue;
        bool ok = false;
        for (const auto& vt : rt->valid_target_types)
          ok = ok || reg_.is_a(cap_type, vt) || reg_.is_a(r_.node_types[target], vt);
        if (!ok) {
          std::string list;
          for (const auto& vt : rt->valid_target_types) list += (list.empty() ? "" : ", ") + vt;
          error(Code::invalid_relationship, rel_mark, path,
                who + ": relationship " + link.relationship_type->name + " can only target " + list + ", not capability `" +
                    cap->name + "` (" + cap->type + ") of `" + nodes[target].name + "`");
        }
        break;
      }
      if (!cap->valid_source_types.empty()) {
        bool ok = false;
        for (const auto& vs : cap->valid_source_types) ok = ok || reg_.is_a(type, vs);
        if (!ok) {
          std::string list;
          for (const auto& vs : cap->valid_source_types) list += (list.empty() ? "" : ", ") + vs;
          error(Code::invalid_relationship, mark, path,
                who + ": capability `" + cap->name + "` of `" + nodes[target].name + "` accepts only sources of type " +
                    list + ", and " + type->name + " is none of them");
        }
      }
      if (link.relationship_template == nullptr) {
        check_assignments(link.properties, reg_.properties(link.relationship_type), rel_mark,
                          child_path(child_path(path, "relationship"), "properties"),
                          "relationship " + link.relationship_type->name + " of " + who, false);
        if (a != nullptr && !a->relationship_interfaces.empty()) {
          InterfaceDefs defined = reg_.interfaces(link.relationship_type);
          for (const auto& [k, v] : def.relationship_interfaces) defined.insert_or_assign(k, v);
          check_interfaces(a->relationship_interfaces, defined, "relationship of " + who, FnContext{&n});
        }
      }
      r_.links[i].push_back(std::move(link));
      return true;
    };

    for (const auto& a : n.requirements) {
      auto def = std::find_if(defs.begin(), defs.end(), [&](const RequirementDef& d) { return d.name == a.name; });
      if (def == defs.end()) {
        std::string known;
        for (const auto& d : defs) known += (known.empty() ? "" : ", ") + d.name;
        error(Code::unknown_requirement, a.mark, a.path,
              "node template `" + n.name + "` (" + type->name + ") has no requirement `" + a.name + "`" +
                  (known.empty() ? "" : " (it has: " + known + ")"));
        continue;
      }
      ++used[a.name];
      last[a.name] = &a;
      bind(*def, &a);
    }
    for (const auto& def : defs) {
      int64_t count = used[def.name];
      if (count > def.occurrences.max) {
        const RequirementAssignment* a = last[def.name];
        error(Code::occurrences_violation, a->mark, a->path,
              "node template `" + n.name + "` uses requirement `" + def.name + "` " + std::to_string(count) +
                  " times; its occurrences allow at most " + std::to_string(def.occurrences.max));
      }
      // A required requirement left unassigned is fulfilled by the orchestrator, as TOSCA
      // asks: the first node template that fits (document order, so the choice is stable).
      for (int64_t k = count; k < def.occurrences.min; ++k)
        if (!bind(def, nullptr)) break;
    }
  }
  for (const auto& links : r_.links)
    for (const auto& l : links) {
      auto& slot = cap_uses[{l.target, l.capability}];
      ++slot.first;
      slot.second = &l;
    }
  for (const auto& [key, use] : cap_uses) {
    const TypeDef* ttype = r_.node_types[key.first];
    const auto& caps = reg_.capabilities(ttype);
    auto cap = caps.find(key.second);
    if (cap == caps.end()) continue;
    int64_t max = cap->second.occurrences.max;
    if (auto a = nodes[key.first].capabilities.find(key.second);
        a != nodes[key.first].capabilities.end() && a->second.occurrences.given)
      max = a->second.occurrences.max;
    if (use.first > max)
      error(Code::occurrences_violation, use.second->mark, use.second->path,
            "capability `" + key.second + "` of node template `" + nodes[key.first].name + "` is the target of " +
                std::to_string(use.first) + " relationships; its occurrences allow at most " + std::to_string(max));
  }
}

}  // namespace iotwins::tosca
