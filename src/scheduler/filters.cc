#include "scheduler/filters.h"

namespace iotwins::scheduler::detail {

std::string_view reject_name(Reject reason) {
  switch (reason) {
    case Reject::none: return "feasible";
    case Reject::draining: return "node draining";
    case Reject::unreachable: return "node unreachable";
    case Reject::down: return "node down";
    case Reject::level: return "level mismatch";
    case Reject::arch: return "arch mismatch";
    case Reject::driver: return "missing task driver";
    case Reject::labels: return "node labels do not match";
    case Reject::near: return "not near the twin or service";
    case Reject::cpu: return "insufficient cpu";
    case Reject::memory: return "insufficient memory";
    case Reject::gpus: return "insufficient gpus";
    case Reject::anti_affinity: return "anti-affinity conflict";
    case Reject::affinity: return "required affinity not met";
    case Reject::count_: break;
  }
  return "?";
}

bool node_has_match(const State& state, uint32_t node, const CompiledRequest& request, const CompiledTerm& term) {
  for (const TaskRec& task : state.tasks[node]) {
    if (term.deployment != kAny && task.deployment != term.deployment) continue;
    if (term.group != kAny && task.group != term.group) continue;
    bool all = true;
    const LabelPair* begin = state.task_labels.data() + task.labels_begin;
    const LabelPair* end = state.task_labels.data() + task.labels_end;
    for (uint32_t i = term.labels_begin; i < term.labels_end && all; ++i) {
      all = matches(request, request.term_requirements[i], begin, end);
    }
    if (all) return true;
  }
  return false;
}

Reject check(const State& state, uint32_t node, const CompiledRequest& r) {
  const NodeRec& n = state.nodes[node];
  switch (n.state) {
    case NodeState::ready: break;
    case NodeState::draining: return Reject::draining;
    case NodeState::unreachable: return Reject::unreachable;
    case NodeState::down: return Reject::down;
  }
  if (!r.any_level && n.level != r.level) return Reject::level;
  if (!r.any_arch && n.arch != r.arch) return Reject::arch;
  if (r.unknown_driver || (n.drivers & r.drivers) != r.drivers) return Reject::driver;
  const LabelPair* labels_begin = state.node_labels.data() + n.labels_begin;
  const LabelPair* labels_end = state.node_labels.data() + n.labels_end;
  for (const CompiledRequirement& req : r.selector) {
    if (!matches(r, req, labels_begin, labels_end)) return Reject::labels;
  }
  if (r.has_near && r.near_required) {
    const bool near = r.near_scope == Near::Scope::node ? (r.near_mark[node] & kNearHost) != 0
                                                        : (r.near_mark[n.subtree_root] & kNearRoot) != 0;
    if (!near) return Reject::near;
  }
  if (n.allocated.cpu_millis + r.resources.cpu_millis > n.capacity.cpu_millis) return Reject::cpu;
  if (n.allocated.memory_bytes + r.resources.memory_bytes > n.capacity.memory_bytes) return Reject::memory;
  if (n.allocated.gpus + r.resources.gpus > n.capacity.gpus) return Reject::gpus;
  if (r.has_required_terms) {
    for (const CompiledTerm& term : r.terms) {
      if (term.required && term.anti && node_has_match(state, node, r, term)) return Reject::anti_affinity;
    }
    for (const CompiledTerm& term : r.terms) {
      if (term.required && !term.anti && !node_has_match(state, node, r, term)) return Reject::affinity;
    }
  }
  return Reject::none;
}

}  // namespace iotwins::scheduler::detail
