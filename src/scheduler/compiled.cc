#include "scheduler/compiled.h"

namespace iotwins::scheduler::detail {
namespace {

void compile_requirements(const std::vector<LabelRequirement>& in, const State& state,
                          std::vector<CompiledRequirement>& out, std::vector<Id>& values) {
  for (const LabelRequirement& r : in) {
    CompiledRequirement c{state.strings.find(r.key), r.op, static_cast<uint32_t>(values.size()), 0};
    for (const std::string& v : r.values) values.push_back(state.strings.find(v));
    c.values_end = static_cast<uint32_t>(values.size());
    out.push_back(c);
  }
}

}  // namespace

void compile(const PlacementRequest& request, State& state, uint64_t seed, std::vector<uint8_t>& near_mark,
             CompiledRequest& out) {
  out.source = &request;
  out.any_level = !request.level.has_value();
  out.level = request.level.value_or(Level::edge);
  out.any_arch = request.arch.empty();
  out.arch = out.any_arch ? kNoId : state.strings.find(request.arch);
  out.drivers = 0;
  out.unknown_driver = false;
  for (const std::string& d : request.drivers) {
    Id id = state.strings.find(d);
    auto bit = id == kNoId ? state.driver_bit.end() : state.driver_bit.find(id);
    if (bit == state.driver_bit.end()) {
      out.unknown_driver = true;
    } else {
      out.drivers |= uint64_t{1} << bit->second;
    }
  }
  out.resources = request.resources;
  out.selector.clear();
  out.term_requirements.clear();
  out.values.clear();
  out.terms.clear();
  compile_requirements(request.selector, state, out.selector, out.values);

  out.has_required_terms = false;
  out.preferred_weight = 0;
  for (const AffinityTerm& t : request.affinity) {
    CompiledTerm c;
    c.deployment = t.tasks.deployment.empty() ? kAny : state.strings.find(t.tasks.deployment);
    c.group = t.tasks.group.empty() ? kAny : state.strings.find(t.tasks.group);
    c.labels_begin = static_cast<uint32_t>(out.term_requirements.size());
    compile_requirements(t.tasks.labels, state, out.term_requirements, out.values);
    c.labels_end = static_cast<uint32_t>(out.term_requirements.size());
    c.anti = t.anti;
    c.required = t.required;
    c.weight = t.weight;
    out.has_required_terms |= t.required;
    if (!t.required) out.preferred_weight += t.weight;
    out.terms.push_back(c);
  }

  out.deployment = state.strings.intern(request.deployment);
  out.group = state.strings.intern(request.group);
  out.task_labels.clear();
  for (const auto& [k, v] : request.task_labels) {
    out.task_labels.push_back({state.strings.intern(k), state.strings.intern(v)});
  }
  out.spread = nullptr;
  out.spread_weight = 0;
  if (request.spread) {
    // Interned, not looked up: a key no node has still spreads (every node is in the "no label" domain).
    Id key = state.strings.intern(request.spread->key);
    out.spread = &state.spread_domains(group_key(out.deployment, out.group), key);
    out.spread_weight = request.spread->weight / 100.0;
  }

  out.has_near = request.near.has_value();
  out.near_hosts.clear();
  out.near_roots.clear();
  if (out.has_near) {
    out.near_required = request.near->required;
    out.near_scope = request.near->scope;
    const auto& index = request.near->kind == Near::Kind::twin ? state.twin_hosts : state.service_hosts;
    Id target = state.strings.find(request.near->target);
    if (auto it = target == kNoId ? index.end() : index.find(target); it != index.end()) {
      out.near_hosts = it->second;
    }
    for (uint32_t host : out.near_hosts) {
      near_mark[host] |= kNearHost;
      uint32_t root = state.nodes[host].subtree_root;
      if (!(near_mark[root] & kNearRoot)) {
        near_mark[root] |= kNearRoot;
        out.near_roots.push_back(root);
      }
    }
  }
  out.near_mark = near_mark.data();
  out.tie_seed = mix(seed ^ stable_hash(request.id));
}

void clear_marks(const CompiledRequest& request, const State& state, std::vector<uint8_t>& near_mark) {
  for (uint32_t host : request.near_hosts) {
    near_mark[host] = 0;
    near_mark[state.nodes[host].subtree_root] = 0;
  }
}

}  // namespace iotwins::scheduler::detail
