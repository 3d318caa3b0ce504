#include "tosca/evaluator.h"
#include "tosca/functions.h"
#include "tosca/instance_builder.h"

#include <algorithm>

namespace iotwins::tosca {

bool NodeInstance::is_a(std::string_view type_name) const {
  return std::find(type_chain.begin(), type_chain.end(), type_name) != type_chain.end();
}

const NodeInstance* InstanceModel::find(std::string_view name) const {
  for (const auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

Result<Value> InstanceModel::evaluate(const Value& expr, const EvalScope& scope, const RuntimeLookup& lookup) const {
  Scope s;
  auto index_of = [&](const std::string& name, std::optional<size_t>& into) -> Status {
    if (name.empty()) return ok();
    for (size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i].name == name) {
        into = i;
        return ok();
      }
    return make_error(Errc::not_found, "`" + name + "` is not a node of this deployment");
  };
  IOT_TRY(index_of(scope.self, s.self));
  IOT_TRY(index_of(scope.source, s.source));
  IOT_TRY(index_of(scope.target, s.target));
  Evaluator ev(*this, &lookup);
  return ev.tree(expr, s, nullptr, "");
}

namespace {

std::vector<std::string> chain_names(const TypeRegistry& reg, const TypeDef* t) {
  std::vector<std::string> out;
  for (const TypeDef* x : reg.chain(t)) out.push_back(x->name);
  return out;
}

Value with_defaults(const Value& assigned, const PropertyDefs& defs) {
  Value out = Value::map();
  for (const auto& [name, def] : defs) {
    if (const Value* v = assigned.find(name)) out.set(name, *v);
    else if (def.default_value) out.set(name, *def.default_value);
  }
  return out;
}

// The same, taking the assigned values instead of copying them.
Value with_defaults(Value&& assigned, const PropertyDefs& defs) {
  Value out = Value::map();
  out.as_map().reserve(defs.size());
  for (const auto& [name, def] : defs) {
    if (Value* v = assigned.find(name)) out.as_map().emplace_back(name, std::move(*v));
    else if (def.default_value) out.as_map().emplace_back(name, *def.default_value);
  }
  return out;
}

std::string artifact_type_for(const TypeRegistry& reg, const ArtifactDef& a) {
  if (!a.type.empty()) {
    const TypeDef* t = reg.find(Family::artifact, a.type);
    return t != nullptr ? t->name : a.type;
  }
  auto dot = a.file.rfind('.');
  if (dot != std::string::npos) {
    std::string ext = a.file.substr(dot + 1);
    for (const auto& [name, t] : reg.all(Family::artifact))
      if (std::find(t->file_ext.begin(), t->file_ext.end(), ext) != t->file_ext.end()) return name;
  }
  return "tosca.artifacts.File";
}

// Operations with something to run: the type's definitions with the template's assignments
// laid over them.
std::vector<OperationInstance> operations_of(const TypeRegistry& reg, const InterfaceDefs& defined,
                                             const InterfaceDefs& assigned) {
  std::vector<OperationInstance> out;
  std::vector<std::string> names;
  for (const auto& [n, d] : defined) names.push_back(n);
  for (const auto& [n, d] : assigned)
    if (!defined.count(n)) names.push_back(n);
  for (const auto& iname : names) {
    const InterfaceDef* def = defined.count(iname) ? &defined.at(iname) : nullptr;
    const InterfaceDef* as = assigned.count(iname) ? &assigned.at(iname) : nullptr;
    std::string itype = def != nullptr ? def->type : "";
    const TypeDef* it = itype.empty() ? nullptr : reg.find(Family::interface, itype);
    if (it != nullptr) itype = it->name;
    std::map<std::string, std::pair<const OperationDef*, bool>> ops;  // name -> (definition, notification)
    if (it != nullptr) {
      for (const auto& [n, o] : reg.operations(it)) ops[n] = {&o, false};
      for (const auto& [n, o] : reg.notifications(it)) ops[n] = {&o, true};
    }
    if (def != nullptr) {
      for (const auto& [n, o] : def->operations) ops[n] = {&o, false};
      for (const auto& [n, o] : def->notifications) ops[n] = {&o, true};
    }
    if (as != nullptr) {
      for (const auto& [n, o] : as->operations) ops.try_emplace(n, std::pair{&o, false});
      for (const auto& [n, o] : as->notifications) ops.try_emplace(n, std::pair{&o, true});
    }
    for (const auto& [oname, entry] : ops) {
      const OperationDef* tdef = entry.first;
      const OperationDef* adef = nullptr;
      if (as != nullptr) {
        if (auto x = as->operations.find(oname); x != as->operations.end()) adef = &x->second;
        else if (auto y = as->notifications.find(oname); y != as->notifications.end()) adef = &y->second;
      }
      const Implementation& impl = adef != nullptr && adef->implementation.given ? adef->implementation : tdef->implementation;
      if (!impl.given || impl.primary.empty()) continue;  // nothing to run
      OperationInstance op;
      op.interface = iname;
      op.interface_type = itype;
      op.name = oname;
      op.notification = entry.second;
      op.implementation = impl.primary;
      op.dependencies = impl.dependencies;
      op.timeout = impl.timeout;
      op.operation_host = impl.operation_host;
      // Inputs: interface-level, then the operation's, the template's over the type's.
      auto lay = [&](const Value& m) {
        if (m.is_map())
          for (const auto& [k, v] : m.as_map()) op.inputs.set(k, v);
      };
      if (def != nullptr) lay(def->inputs);
      for (const auto& [k, d] : tdef->input_defs)
        if (d.default_value) op.inputs.set(k, *d.default_value);
      lay(tdef->inputs);
      if (as != nullptr) lay(as->inputs);
      if (adef != nullptr) lay(adef->inputs);
      op.outputs = adef != nullptr && adef->outputs.is_map() ? adef->outputs : (tdef->outputs.is_map() ? tdef->outputs : Value::map());
      out.push_back(std::move(op));
    }
  }
  return out;
}

}  // namespace

std::shared_ptr<InstanceModel> build_instance(LoadedTemplate& loaded, const Resolved& r, Diagnostics& diag) {
  const TypeRegistry& reg = loaded.registry;
  const ServiceFile& main = *loaded.main;
  const TopologyTemplate& topo = main.topology;
  auto model = std::make_shared<InstanceModel>();
  model->version = std::string(version_name(main.version));
  model->description = main.description;
  if (main.metadata.is_map()) model->metadata = main.metadata;
  model->inputs = r.inputs;
  for (const auto& w : topo.workflows) model->workflows.push_back(w.name);

  const auto& nts = topo.node_templates;
  model->nodes.resize(nts.size());
  for (size_t i = 0; i < nts.size(); ++i) {
    const NodeTemplate& t = nts[i];
    const TypeDef* type = r.node_types[i];
    NodeInstance& n = model->nodes[i];
    n.name = t.name;
    n.type = type->name;
    n.type_chain = chain_names(reg, type);
    n.description = t.description;
    n.directives = t.directives;
    NodeTemplate& owned = loaded.main_owned->topology.node_templates[i];
    n.properties = with_defaults(std::move(owned.properties), reg.properties(type));
    n.attributes = with_defaults(std::move(owned.attributes), reg.attributes(type));
    for (const auto& [cname, cdef] : reg.capabilities(type)) {
      const TypeDef* ctype = reg.find(Family::capability, cdef.type);
      PropertyDefs props = ctype != nullptr ? reg.properties(ctype) : PropertyDefs{};
      for (const auto& [pn, pd] : cdef.properties) props.insert_or_assign(pn, pd);
      auto a = t.capabilities.find(cname);
      Value cap = Value::map();
      cap.set("type", Value(ctype != nullptr ? ctype->name : cdef.type));
      cap.set("properties", with_defaults(a != t.capabilities.end() ? a->second.properties : Value::map(), props));
      n.capabilities.set(cname, std::move(cap));
    }
    ArtifactDefs arts = reg.artifacts(type);
    for (const auto& [an, a] : t.artifacts) arts.insert_or_assign(an, a);
    for (const auto& [an, a] : arts) {
      ArtifactInstance ai;
      ai.name = an;
      ai.type = artifact_type_for(reg, a);
      ai.type_chain = chain_names(reg, reg.find(Family::artifact, ai.type));
      ai.file = a.file;
      ai.repository = a.repository;
      if (auto repo = main.repositories.find(a.repository); repo != main.repositories.end()) ai.repository_url = repo->second.url;
      ai.deploy_path = a.deploy_path;
      ai.checksum = a.checksum;
      ai.checksum_algorithm = a.checksum_algorithm;
      if (a.properties.is_map()) ai.properties = a.properties;
      n.artifacts.push_back(std::move(ai));
    }
    n.operations = operations_of(reg, reg.interfaces(type), t.interfaces);
    for (auto& op : n.operations)
      for (const auto& a : n.artifacts)
        if (a.name == op.implementation) op.implementation_type = a.type;
    for (const Link& l : r.links[i]) {
      RelationshipInstance ri;
      ri.requirement = l.requirement;
      ri.target = nts[l.target].name;
      ri.target_index = l.target;
      ri.capability = l.capability;
      ri.type = l.relationship_type->name;
      ri.type_chain = chain_names(reg, l.relationship_type);
      ri.template_name = l.relationship_template != nullptr ? l.relationship_template->name : "";
      ri.properties = with_defaults(l.properties, reg.properties(l.relationship_type));
      ri.operations = operations_of(reg, reg.interfaces(l.relationship_type), l.interfaces);
      ri.implicit = l.implicit;
      if (reg.is_a(l.relationship_type, "tosca.relationships.HostedOn") && !n.host) n.host = l.target;
      n.requirements.push_back(std::move(ri));
    }
  }

  // Layers: a node deploys after every target of its ordering relationships.
  std::vector<int> layer(nts.size(), -1);
  std::vector<int> visiting(nts.size(), 0);
  std::function<int(size_t)> depth_of = [&](size_t i) -> int {
    if (layer[i] >= 0) return layer[i];
    if (visiting[i]) return 0;  // a cycle; reported by validation, never built
    visiting[i] = 1;
    int d = 0;
    for (const Link& l : r.links[i])
      if (is_ordering_relationship(reg, l.relationship_type)) d = std::max(d, depth_of(l.target) + 1);
    visiting[i] = 0;
    return layer[i] = d;
  };
  for (size_t i = 0; i < nts.size(); ++i) {
    size_t d = static_cast<size_t>(depth_of(i));
    model->nodes[i].layer = d;
    if (model->layers.size() <= d) model->layers.resize(d + 1);
    model->layers[d].push_back(i);
  }

  // Static evaluation against the raw model. Only entries holding a function are evaluated
  // (most values are plain data and are not copied again); results are applied afterwards so
  // every get_property reads template values, not half-evaluated ones.
  Evaluator ev(*model, nullptr);
  auto report = [&](const Error& e, const Mark& mark, const std::string& path) {
    diag.add(Code::invalid_function, mark, path, e.message());
  };
  struct Pending {
    Value* target_map;  // the map the evaluated entry goes back into
    std::string key;
    Value value;
  };
  std::vector<Pending> pending;
  std::vector<std::vector<std::string>> deferred(nts.size());
  auto evaluate_map = [&](Value& map, const Scope& scope, size_t node, const std::string& base, const Mark& mark,
                          const std::string& diag_path) {
    if (!map.is_map()) return;
    for (auto& [k, v] : map.as_map()) {
      if (!contains_function(v)) continue;
      auto evaluated = ev.tree(v, scope, &deferred[node], child_path(base, k));
      if (evaluated) pending.push_back({&map, k, std::move(*evaluated)});
      else report(evaluated.error(), mark, diag_path);
    }
  };
  for (size_t i = 0; i < nts.size(); ++i) {
    NodeInstance& n = model->nodes[i];
    Scope self{i};
    const std::string& base = nts[i].path;
    evaluate_map(n.properties, self, i, "properties", nts[i].mark, child_path(base, "properties"));
    for (auto& op : n.operations)
      evaluate_map(op.inputs, self, i, "operations." + op.interface + "." + op.name + ".inputs", nts[i].mark,
                   child_path(base, "interfaces"));
    for (auto& rel : n.requirements) {
      std::string rp = "requirements." + rel.requirement;
      evaluate_map(rel.properties, Scope{i, i, rel.target_index}, i, rp + ".properties", nts[i].mark,
                   child_path(base, "requirements"));
      Scope rs{i, i, rel.target_index, &rel.properties};
      for (auto& op : rel.operations)
        evaluate_map(op.inputs, rs, i, rp + ".operations." + op.interface + "." + op.name + ".inputs", nts[i].mark,
                     child_path(base, "requirements"));
    }
  }
  Value outputs = Value::map();
  for (const auto& [name, def] : topo.outputs) {
    if (!def.value) continue;
    auto v = ev.tree(*def.value, Scope{}, nullptr, "");
    if (v) outputs.set(name, std::move(*v));
    else report(v.error(), def.mark, def.path), outputs.set(name, *def.value);
  }
  for (auto& p : pending) p.target_map->set(std::move(p.key), std::move(p.value));
  for (size_t i = 0; i < nts.size(); ++i) model->nodes[i].deferred = std::move(deferred[i]);
  model->outputs = std::move(outputs);

  // Groups and policies with their members/targets expanded to node templates.
  std::function<void(const std::string&, std::vector<std::string>&, int)> expand = [&](const std::string& name,
                                                                                        std::vector<std::string>& out, int depth) {
    if (depth > 32) return;
    if (r.node_index.count(name)) {
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
      return;
    }
    if (auto g = r.groups.find(name); g != r.groups.end())
      for (const auto& m : g->second->members) expand(m.name, out, depth + 1);
  };
  for (const auto& g : topo.groups) {
    GroupInstance gi;
    gi.name = g.name;
    const TypeDef* gt = reg.find(Family::group, g.type);
    gi.type = gt != nullptr ? gt->name : g.type;
    gi.type_chain = chain_names(reg, gt);
    for (const auto& m : g.members) expand(m.name, gi.members, 0);
    gi.properties = gt != nullptr ? with_defaults(g.properties, reg.properties(gt)) : g.properties;
    model->groups.push_back(std::move(gi));
  }
  for (const auto& p : topo.policies) {
    PolicyInstance pi;
    pi.name = p.name;
    const TypeDef* pt = reg.find(Family::policy, p.type);
    pi.type = pt != nullptr ? pt->name : p.type;
    pi.type_chain = chain_names(reg, pt);
    for (const auto& t : p.targets) expand(t.name, pi.targets, 0);
    pi.properties = pt != nullptr ? with_defaults(p.properties, reg.properties(pt)) : p.properties;
    for (const auto& tr : p.triggers) {
      Value t = Value::map();
      t.set("event", Value(tr.event));
      if (!tr.target_filter.is_null()) t.set("target_filter", tr.target_filter);
      if (!tr.condition.is_null()) t.set("condition", tr.condition);
      if (!tr.schedule.is_null()) t.set("schedule", tr.schedule);
      t.set("action", tr.action);
      pi.triggers.set(tr.name, std::move(t));
    }
    model->policies.push_back(std::move(pi));
  }
  return model;
}

}  // namespace iotwins::tosca
