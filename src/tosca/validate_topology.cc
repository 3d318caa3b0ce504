// Relationship templates, groups, policies (targets, triggers), outputs, substitution
// mappings, dependency cycles, and the pass that checks every function in context.
#include <algorithm>
#include "tosca/validator.h"

namespace iotwins::tosca {

bool is_ordering_relationship(const TypeRegistry& reg, const TypeDef* rel) {
  return reg.is_a(rel, "tosca.relationships.HostedOn") || reg.is_a(rel, "tosca.relationships.DependsOn") ||
         reg.is_a(rel, "tosca.relationships.ConnectsTo") || reg.is_a(rel, "tosca.relationships.AttachesTo");
}

void Validator::check_relationship_templates() {
  for (const auto& rt : topology().relationship_templates) {
    const TypeDef* t = require_type(Family::relationship, rt.type, rt.type_mark.line > 0 ? rt.type_mark : rt.mark,
                                    child_path(rt.path, "type"), "relationship type");
    r_.relationship_template_types[rt.name] = t;
    if (t == nullptr) continue;
    std::string owner = "relationship template `" + rt.name + "` (" + t->name + ")";
    check_assignments(rt.properties, reg_.properties(t), rt.mark, child_path(rt.path, "properties"), owner, false);
    check_assignments(rt.attributes, reg_.attributes(t), rt.mark, child_path(rt.path, "attributes"), owner, true);
    check_interfaces(rt.interfaces, reg_.interfaces(t), owner, FnContext{});
  }
}

void Validator::check_groups() {
  for (const auto& g : topology().groups) r_.groups[g.name] = &g;
  for (const auto& g : topology().groups) {
    const TypeDef* t = require_type(Family::group, g.type, g.type_mark.line > 0 ? g.type_mark : g.mark,
                                    child_path(g.path, "type"), "group type");
    if (t == nullptr) continue;
    std::string owner = "group `" + g.name + "` (" + t->name + ")";
    check_assignments(g.properties, reg_.properties(t), g.mark, child_path(g.path, "properties"), owner, false);
    std::vector<std::string> allowed;
    for (const TypeDef* x : reg_.chain(t))
      if (allowed.empty() && !x->members.empty()) allowed = x->members;
    for (const auto& m : g.members) {
      const NodeTemplate* n = node(m.name);
      bool is_group = r_.groups.count(m.name) > 0;
      if (n == nullptr && !is_group) {
        error(Code::unknown_node_template, m.mark, m.path,
              owner + " lists member `" + m.name + "`, which is not a node template or group");
        continue;
      }
      if (allowed.empty()) continue;
      const TypeDef* mt = n != nullptr ? node_type(*n) : reg_.find(Family::group, r_.groups[m.name]->type);
      if (mt == nullptr) continue;
      bool ok = false;
      for (const auto& a : allowed) ok = ok || reg_.is_a(mt, a);
      if (!ok)
        error(Code::invalid_target, m.mark, m.path,
              owner + " may only have members of type " + allowed.front() + (allowed.size() > 1 ? " (or the other listed types)" : "") +
                  "; `" + m.name + "` is a " + mt->name);
    }
  }
}

void Validator::check_policies() {
  for (const auto& p : topology().policies) {
    const TypeDef* t = require_type(Family::policy, p.type, p.type_mark.line > 0 ? p.type_mark : p.mark,
                                    child_path(p.path, "type"), "policy type");
    std::string owner = "policy `" + p.name + "`" + (t != nullptr ? " (" + t->name + ")" : "");
    if (t != nullptr) check_assignments(p.properties, reg_.properties(t), p.mark, child_path(p.path, "properties"), owner, false);
    std::vector<std::string> allowed;
    if (t != nullptr)
      for (const TypeDef* x : reg_.chain(t))
        if (allowed.empty() && !x->targets.empty()) allowed = x->targets;
    for (const auto& target : p.targets) {
      const NodeTemplate* n = node(target.name);
      auto g = r_.groups.find(target.name);
      if (n == nullptr && g == r_.groups.end()) {
        error(Code::unknown_node_template, target.mark, target.path,
              owner + " targets `" + target.name + "`, which is not a node template or group");
        continue;
      }
      if (allowed.empty()) continue;
      // A group target passes when the group's type is allowed or all its node members are.
      auto fits = [&](const TypeDef* type) {
        for (const auto& a : allowed)
          if (reg_.is_a(type, a)) return true;
        return false;
      };
      bool ok = true;
      std::string bad_name;
      if (n != nullptr) {
        const TypeDef* nt = node_type(*n);
        ok = nt == nullptr || fits(nt);
        bad_name = nt != nullptr ? nt->name : "";
      } else {
        const TypeDef* gt = reg_.find(Family::group, g->second->type);
        if (gt == nullptr || !fits(gt)) {
          for (const auto& m : g->second->members) {
            const NodeTemplate* mn = node(m.name);
            const TypeDef* mt = mn != nullptr ? node_type(*mn) : nullptr;
            if (mt != nullptr && !fits(mt)) {
              ok = false;
              bad_name = "group member `" + m.name + "` (" + mt->name + ")";
            }
          }
        }
      }
      if (!ok) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        error(Code::invalid_target, target.mark, target.path,
              owner + " may only target " + list + "; `" + target.name + "` is " + bad_name);
      }
    }
    for (const auto& tr : p.triggers) {
      std::string who = "trigger `" + tr.name + "` of " + owner;
      if (tr.target_filter.is_map()) {
        if (const Value* nv = tr.target_filter.find("node"); nv != nullptr) {
          std::string name = nv->is_string() ? nv->as_string() : "";
          if (node(name) == nullptr && reg_.find(Family::node, name) == nullptr)
            error(Code::invalid_trigger, nv->mark(), child_path(child_path(tr.path, "target_filter"), "node"),
                  who + " filters on node `" + nv->to_string() + "`, which is not a node template or node type");
        }
      } else if (!tr.target_filter.is_null()) {
        error(Code::invalid_trigger, tr.target_filter.mark(), child_path(tr.path, "target_filter"),
              who + ": target_filter must be a map {node, requirement, capability}");
      }
      if (!tr.condition.is_null() && !tr.condition.is_map() && !tr.condition.is_list())
        error(Code::invalid_trigger, tr.condition.mark(), child_path(tr.path, "condition"),
              who + ": condition must be a constraint clause, a list of them, or {constraint, period, evaluations, method}");
      if (!tr.schedule.is_null())
        check_value(tr.schedule, Schema{"tosca.datatypes.TimeInterval"}, child_path(tr.path, "schedule"), who + " schedule");
      const Value& act = tr.action;
      if (act.is_null()) continue;
      std::vector<const Value*> items;
      if (act.is_list())
        for (const auto& x : act.as_list()) items.push_back(&x);
      else if (act.is_map()) items.push_back(&act);
      else
        error(Code::invalid_trigger, act.mark(), child_path(tr.path, "action"), who + ": action must be a list of activities");
      for (const Value* item : items) {
        if (!item->is_map() || item->as_map().empty()) continue;
        for (const auto& [k, val] : item->as_map()) {
          if (k != "call_operation" && k != "delegate" && k != "set_state" && k != "inline" && k != "update" &&
              k != "invoke")
            error(Code::invalid_trigger, val.mark(), child_path(child_path(tr.path, "action"), k),
                  who + ": `" + k + "` is not an activity (call_operation, delegate, set_state, inline, update)");
        }
      }
    }
  }
}

void Validator::check_outputs() {
  for (const auto& [name, def] : topology().outputs) {
    check_schema(def.schema, def.mark, def.path);
    if (def.value && !def.schema.type.empty())
      check_value(*def.value, def.schema, child_path(def.path, "value"), "output `" + name + "`");
  }
}

void Validator::check_substitution() {
  const SubstitutionMappings& s = topology().substitution;
  if (!s.present) return;
  const TypeDef* t = require_type(Family::node, s.node_type, s.node_type_mark.line > 0 ? s.node_type_mark : s.mark,
                                  child_path(s.path, "node_type"), "substitution node_type");
  if (t == nullptr) return;
  auto bad = [&](const Value& at, const std::string& path, std::string why) {
    error(Code::invalid_substitution, at.mark(), path, std::move(why));
  };
  auto pair_of = [](const Value& v) -> std::pair<std::string, std::string> {
    if (v.is_list() && v.as_list().size() == 2 && v.as_list()[0].is_string() && v.as_list()[1].is_string())
      return {v.as_list()[0].as_string(), v.as_list()[1].as_string()};
    return {};
  };
  std::string sp = s.path;
  if (s.properties.is_map()) {
    for (const auto& [k, v] : s.properties.as_map()) {
      std::string p = child_path(child_path(sp, "properties"), k);
      if (reg_.properties(t).count(k) == 0) { bad(v, p, s.node_type + " has no property `" + k + "` to map"); continue; }
      if (v.is_list() && v.as_list().size() == 1 && v.as_list()[0].is_string() &&
          topology().inputs.count(v.as_list()[0].as_string()) == 0)
        bad(v, p, "property `" + k + "` maps to input `" + v.as_list()[0].as_string() + "`, which is not declared");
    }
  }
  if (s.attributes.is_map()) {
    for (const auto& [k, v] : s.attributes.as_map()) {
      std::string p = child_path(child_path(sp, "attributes"), k);
      if (reg_.attributes(t).count(k) == 0 && reg_.properties(t).count(k) == 0)
        bad(v, p, s.node_type + " has no attribute `" + k + "` to map");
      else if (v.is_list() && v.as_list().size() == 1 && v.as_list()[0].is_string() &&
               topology().outputs.count(v.as_list()[0].as_string()) == 0)
        bad(v, p, "attribute `" + k + "` maps to output `" + v.as_list()[0].as_string() + "`, which is not declared");
    }
  }
  if (s.capabilities.is_map()) {
    for (const auto& [k, v] : s.capabilities.as_map()) {
      std::string p = child_path(child_path(sp, "capabilities"), k);
      if (reg_.capabilities(t).count(k) == 0) { bad(v, p, s.node_type + " has no capability `" + k + "` to map"); continue; }
      auto [nn, cn] = pair_of(v);
      if (nn.empty()) { bad(v, p, "a capability mapping is [node_template, capability]"); continue; }
      const NodeTemplate* n = node(nn);
      if (n == nullptr) { bad(v, p, "capability `" + k + "` maps to `" + nn + "`, which is not a node template"); continue; }
      const TypeDef* nt = node_type(*n);
      if (nt != nullptr && reg_.capabilities(nt).count(cn) == 0)
        bad(v, p, "node template `" + nn + "` has no capability `" + cn + "`");
    }
  }
  if (s.requirements.is_map()) {
    for (const auto& [k, v] : s.requirements.as_map()) {
      std::string p = child_path(child_path(sp, "requirements"), k);
      const auto& reqs = reg_.requirements(t);
      if (std::none_of(reqs.begin(), reqs.end(), [&](const RequirementDef& r) { return r.name == k; })) {
        bad(v, p, s.node_type + " has no requirement `" + k + "` to map");
        continue;
      }
      auto [nn, rn] = pair_of(v);
      if (nn.empty()) { bad(v, p, "a requirement mapping is [node_template, requirement]"); continue; }
      const NodeTemplate* n = node(nn);
      if (n == nullptr) { bad(v, p, "requirement `" + k + "` maps to `" + nn + "`, which is not a node template"); continue; }
      const TypeDef* nt = node_type(*n);
      if (nt == nullptr) continue;
      const auto& nreqs = reg_.requirements(nt);
      if (std::none_of(nreqs.begin(), nreqs.end(), [&](const RequirementDef& r) { return r.name == rn; }))
        bad(v, p, "node template `" + nn + "` has no requirement `" + rn + "`");
    }
  }
  if (s.interfaces.is_map()) {
    for (const auto& [k, v] : s.interfaces.as_map()) {
      std::string p = child_path(child_path(sp, "interfaces"), k);
      if (reg_.interfaces(t).count(k) == 0) { bad(v, p, s.node_type + " has no interface `" + k + "` to map"); continue; }
      if (!v.is_map()) { bad(v, p, "an interface mapping maps operation names to workflow names"); continue; }
      for (const auto& [op, wf] : v.as_map()) {
        std::string name = wf.is_string() ? wf.as_string() : "";
        bool found = std::any_of(topology().workflows.begin(), topology().workflows.end(),
                                 [&](const WorkflowDef& w) { return w.name == name; });
        if (!found) bad(wf, child_path(p, op), "operation `" + op + "` maps to workflow `" + wf.to_string() + "`, which is not defined");
      }
    }
  }
}

void Validator::check_dependency_cycles() {
  const auto& nodes = topology().node_templates;
  // Colour DFS over source -> target (the source waits for the target).
  std::vector<int> state(nodes.size(), 0);
  std::vector<size_t> stack;
  std::vector<std::pair<size_t, size_t>> frames;  // node, next link
  for (size_t start = 0; start < nodes.size(); ++start) {
    if (state[start] != 0) continue;
    frames.push_back({start, 0});
    state[start] = 1;
    stack.push_back(start);
    while (!frames.empty()) {
      auto& [cur, next] = frames.back();
      const auto& links = r_.links[cur];
      if (next >= links.size()) {
        state[cur] = 2;
        stack.pop_back();
        frames.pop_back();
        continue;
      }
      const Link& l = links[next++];
      if (!is_ordering_relationship(reg_, l.relationship_type)) continue;
      if (state[l.target] == 1) {
        std::string cycle;
        bool on = false;
        for (size_t s : stack) {
          on = on || s == l.target;
          if (on) cycle += nodes[s].name + " -> ";
        }
        cycle += nodes[l.target].name;
        error(Code::dependency_cycle, l.mark, l.path, "node templates depend on each other in a cycle: " + cycle);
      } else if (state[l.target] == 0) {
        state[l.target] = 1;
        stack.push_back(l.target);
        frames.push_back({l.target, 0});
      }
    }
  }
}

void Validator::check_all_functions() {
  const auto& nodes = topology().node_templates;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeTemplate& n = nodes[i];
    FnContext ctx{&n};
    check_functions(n.properties, ctx, child_path(n.path, "properties"));
    check_functions(n.attributes, ctx, child_path(n.path, "attributes"));
    for (const auto& [cn, c] : n.capabilities) {
      check_functions(c.properties, ctx, child_path(c.path, "properties"));
      check_functions(c.attributes, ctx, child_path(c.path, "attributes"));
    }
    for (const auto& [in, iface] : n.interfaces) {
      check_functions(iface.inputs, ctx, child_path(iface.path, "inputs"));
      for (const auto& [on, op] : iface.operations) check_functions(op.inputs, ctx, child_path(op.path, "inputs"));
    }
    for (const auto& [an, a] : n.artifacts) check_functions(a.properties, ctx, child_path(a.path, "properties"));
    for (const auto& l : r_.links[i]) {
      FnContext rctx{&n, &l};
      check_functions(l.properties, rctx, child_path(l.path, "relationship"));
      for (const auto& [in, iface] : l.interfaces) {
        check_functions(iface.inputs, rctx, child_path(iface.path, "inputs"));
        for (const auto& [on, op] : iface.operations) check_functions(op.inputs, rctx, child_path(op.path, "inputs"));
      }
    }
  }
  FnContext outer;
  outer.in_output = true;
  for (const auto& [name, def] : topology().outputs)
    if (def.value) check_functions(*def.value, outer, child_path(def.path, "value"));
  for (const auto& p : topology().policies) check_functions(p.properties, outer, child_path(p.path, "properties"));
  for (const auto& g : topology().groups) check_functions(g.properties, outer, child_path(g.path, "properties"));
  for (const auto& w : topology().workflows)
    for (const auto& s : w.steps)
      for (const auto& a : s.activities) check_functions(a.inputs, outer, child_path(a.path, "inputs"));
}

}  // namespace iotwins::tosca
