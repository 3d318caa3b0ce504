// Feasibility: which nodes may take a request. One function decides for both the fast search and
// the explanation of a failure, so the two can never disagree.
#pragma once

#include <cstdint>
#include <string_view>

#include "scheduler/compiled.h"
#include "scheduler/state.h"

namespace iotwins::scheduler::detail {

// In the order they are checked; a rejected node counts under the first filter it fails.
enum class Reject : uint8_t {
  none,
  draining,
  unreachable,
  down,
  level,
  arch,
  driver,
  labels,
  near,
  cpu,
  memory,
  gpus,
  anti_affinity,
  affinity,
  count_,
};
inline constexpr int kRejectCount = static_cast<int>(Reject::count_);

// "level mismatch", "insufficient memory", ...
std::string_view reject_name(Reject reason);

// Whether the node runs a task the term selects.
inline bool node_has_match(const State& state, uint32_t node, const CompiledRequest& request, const CompiledTerm& term) {
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

// The first filter the node fails, or none. Inline: it runs for every candidate.
inline Reject check(const State& state, uint32_t node, const CompiledRequest& r) {
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
