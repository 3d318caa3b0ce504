// Node templates: types, directives, property/attribute/capability assignments,
// interface and operation assignments, artifacts.
#include "tosca/validator.h"

namespace iotwins::tosca {

const NodeTemplate* Validator::node(const std::string& name) const {
  auto it = r_.node_index.find(name);
  return it == r_.node_index.end() ? nullptr : &main_.topology.node_templates[it->second];
}

const TypeDef* Validator::node_type(const NodeTemplate& n) const {
  auto it = r_.node_index.find(n.name);
  return it == r_.node_index.end() ? nullptr : r_.node_types[it->second];
}

void Validator::check_interfaces(const InterfaceDefs& assigned, const InterfaceDefs& defined, const std::string& owner,
                                 const FnContext&) {
  for (const auto& [iname, iface] : assigned) {
    auto def = defined.find(iname);
    if (def == defined.end()) {
      std::string known;
      for (const auto& [n, d] : defined) known += (known.empty() ? "" : ", ") + n;
      error(Code::unknown_interface, iface.mark, iface.path,
            owner + " has no interface `" + iname + "`" + (known.empty() ? "" : " (it has: " + known + ")"));
      continue;
    }
    const TypeDef* itype = def->second.type.empty() ? nullptr : reg_.find(Family::interface, def->second.type);
    std::map<std::string, const OperationDef*> ops, notes;
    if (itype != nullptr) {
      for (const auto& [n, o] : reg_.operations(itype)) ops[n] = &o;
      for (const auto& [n, o] : reg_.notifications(itype)) notes[n] = &o;
    }
    for (const auto& [n, o] : def->second.operations) ops[n] = &o;
    for (const auto& [n, o] : def->second.notifications) notes[n] = &o;
    auto check_op = [&](const OperationDef& op, const std::map<std::string, const OperationDef*>& known_ops,
                        std::string_view kind) {
      auto known = known_ops.find(op.name);
      if (known == known_ops.end()) {
        std::string names;
        for (const auto& [n, o] : known_ops) names += (names.empty() ? "" : ", ") + n;
        error(Code::unknown_operation, op.mark, op.path,
              "interface `" + iname + "` of " + owner + " has no " + std::string(kind) + " `" + op.name + "`" +
                  (names.empty() ? "" : " (it has: " + names + ")"));
        return;
      }
      // Inputs the definition types are checked; others augment the operation (allowed by 1.3).
      if (op.inputs.is_map()) {
        for (const auto& [in, v] : op.inputs.as_map()) {
          const PropertyDef* idef = nullptr;
          if (auto a = known->second->input_defs.find(in); a != known->second->input_defs.end()) idef = &a->second;
          else if (auto b = def->second.input_defs.find(in); b != def->second.input_defs.end()) idef = &b->second;
          if (idef != nullptr && !idef->schema.type.empty())
            check_value(v, idef->schema, child_path(child_path(op.path, "inputs"), in), "input `" + in + "`");
        }
      }
    };
    for (const auto& [on, op] : iface.operations) check_op(op, ops, "operation");
    for (const auto& [nn, note] : iface.notifications) check_op(note, notes, "notification");
  }
}

void Validator::check_node_templates() {
  const auto& nodes = main_.topology.node_templates;
  r_.node_types.assign(nodes.size(), nullptr);
  r_.links.assign(nodes.size(), {});
  r_.node_index.reserve(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) r_.node_index.emplace(nodes[i].name, i);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeTemplate& n = nodes[i];
    std::string owner = "node template `" + n.name + "`";
    const TypeDef* type = require_type(Family::node, n.type, n.type_mark, child_path(n.path, "type"), "the type of node template `" + n.name + "`");
    r_.node_types[i] = type;
    for (const auto& d : n.directives)
      if (d != "substitute" && d != "select" && d != "substitutable" && d != "selectable")
        error(Code::invalid_value, n.mark, child_path(n.path, "directives"),
              "directive `" + d + "` is not one of substitute, select");
    for (const auto& [aname, a] : n.artifacts) check_artifact(a, main_.repositories);
    if (type == nullptr) continue;
    owner += " (" + type->name + ")";
    check_assignments(n.properties, reg_.properties(type), n.mark, child_path(n.path, "properties"), owner, false);
    check_assignments(n.attributes, reg_.attributes(type), n.mark, child_path(n.path, "attributes"), owner, true);
    const auto& caps = reg_.capabilities(type);
    for (const auto& [cname, c] : n.capabilities) {
      if (caps.count(cname) == 0) {
        std::string known;
        for (const auto& [k, d] : caps) known += (known.empty() ? "" : ", ") + k;
        error(Code::unknown_capability, c.mark, c.path,
              owner + " has no capability `" + cname + "`" + (known.empty() ? "" : " (it has: " + known + ")"));
      }
    }
    for (const auto& [cname, cdef] : caps) {
      const TypeDef* ctype = reg_.find(Family::capability, cdef.type);
      if (ctype == nullptr) continue;
      // Most capability definitions refine nothing: use the type's definitions as they are.
      PropertyDefs refined_props, refined_attrs;
      const PropertyDefs* props_ptr = &reg_.properties(ctype);
      const PropertyDefs* attrs_ptr = &reg_.attributes(ctype);
      if (!cdef.properties.empty()) {
        refined_props = *props_ptr;
        for (const auto& [pn, pd] : cdef.properties) refined_props.insert_or_assign(pn, pd);
        props_ptr = &refined_props;
      }
      if (!cdef.attributes.empty()) {
        refined_attrs = *attrs_ptr;
        for (const auto& [an, ad] : cdef.attributes) refined_attrs.insert_or_assign(an, ad);
        attrs_ptr = &refined_attrs;
      }
      const PropertyDefs& props = *props_ptr;
      const PropertyDefs& attrs = *attrs_ptr;
      auto assigned = n.capabilities.find(cname);
      std::string cowner = "capability `" + cname + "` of node template `" + n.name + "`";
      if (assigned == n.capabilities.end()) {
        check_assignments(Value::map(), props, n.mark, child_path(child_path(n.path, "capabilities"), cname), cowner, false);
        continue;
      }
      check_assignments(assigned->second.properties, props, assigned->second.mark,
                        child_path(assigned->second.path, "properties"), cowner, false);
      check_assignments(assigned->second.attributes, attrs, assigned->second.mark,
                        child_path(assigned->second.path, "attributes"), cowner, true);
    }
    FnContext ctx{&n};
    check_interfaces(n.interfaces, reg_.interfaces(type), owner, ctx);
    // An implementation naming an artifact of the node must name one that exists; other
    // names are files relative to the template.
    const auto& type_artifacts = reg_.artifacts(type);
    for (const auto& [iname, iface] : n.interfaces) {
      for (const auto& [on, op] : iface.operations) {
        const std::string& primary = op.implementation.primary;
        if (primary.empty() || primary.find('.') != std::string::npos || primary.find('/') != std::string::npos) continue;
        if (n.artifacts.count(primary) == 0 && type_artifacts.count(primary) == 0)
          error(Code::unknown_artifact, op.implementation.mark, child_path(op.path, "implementation"),
                "operation `" + iname + "." + on + "` of " + owner + " runs `" + primary +
                    "`, which is neither an artifact of the node nor a file name");
      }
    }
  }
}

}  // namespace iotwins::tosca
