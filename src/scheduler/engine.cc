#include "scheduler/engine.h"

#include <algorithm>
#include <array>

#include "scheduler/filters.h"
#include "scheduler/scorers.h"

namespace iotwins::scheduler::detail {

Engine::Engine(State state, SchedulerConfig config)
    : state_(std::move(state)), config_(config), near_mark_(state_.nodes.size(), 0) {}

void Engine::collect_spans() {
  spans_.clear();
  if (request_.has_near && request_.near_required) {
    // Required nearness is the most selective index: the hosts, or their subtrees.
    if (request_.near_scope == Near::Scope::node) {
      spans_.push_back(&request_.near_hosts);
    } else {
      for (uint32_t root : request_.near_roots) spans_.push_back(&state_.subtree_members[root]);
    }
    return;
  }
  for (const NodeClass& c : state_.classes) {
    if (!request_.any_level && c.level != request_.level) continue;
    if (!request_.any_arch && c.arch != request_.arch) continue;
    spans_.push_back(&c.nodes);
  }
}

uint64_t Engine::candidate_count() const {
  uint64_t n = 0;
  for (const auto* span : spans_) n += span->size();
  return n;
}

template <class Visit>
void Engine::walk_candidates(uint64_t start, Visit&& visit) const {
  size_t first = 0;
  while (first < spans_.size() && start >= spans_[first]->size()) {
    start -= spans_[first]->size();
    ++first;
  }
  if (first == spans_.size()) return;
  // The tail of the first span, the other spans in order, then the head of the first span.
  const auto& head = *spans_[first];
  for (size_t i = start; i < head.size(); ++i) {
    if (!visit(head[i])) return;
  }
  for (size_t s = 1; s < spans_.size(); ++s) {
    for (uint32_t node : *spans_[(first + s) % spans_.size()]) {
      if (!visit(node)) return;
    }
  }
  for (size_t i = 0; i < start; ++i) {
    if (!visit(head[i])) return;
  }
}

Result<Outcome> Engine::place(const PlacementRequest& request) {
  compile(request, state_, config_.seed, near_mark_, request_);
  collect_spans();
  const uint64_t total = candidate_count();
  const bool exhaustive = config_.sample_feasible == 0 || total <= config_.exhaustive_limit;
  const uint64_t start = exhaustive || total == 0 ? 0 : request_.tie_seed % total;

  uint32_t best = 0;
  bool found = false;
  double best_score = 0;
  uint64_t best_tie = 0;
  uint32_t feasible = 0;
  walk_candidates(start, [&](uint32_t node) {
    if (check(state_, node, request_) != Reject::none) return true;
    const double score = total_score(state_, node, request_, config_);
    const uint64_t tie = tie_key(state_.nodes[node], request_);
    if (!found || score > best_score || (score == best_score && tie < best_tie)) {
      found = true;
      best = node;
      best_score = score;
      best_tie = tie;
    }
    ++feasible;
    return exhaustive || feasible < config_.sample_feasible;
  });

  Outcome out;
  if (found) {
    state_.apply(best, request.id, request_.deployment, request_.group, request.resources,
                 request_.task_labels);
    out.assignment = Assignment{request.id, state_.node_id(best), best_score};
  } else {
    out.failure = explain();
  }
  clear_marks(request_, state_, near_mark_);
  if (out.failure && out.failure->reasons.empty() && !state_.nodes.empty()) {
    return make_error(Errc::internal, "scheduler: request " + request.id +
                                          " found no feasible candidate but every node passes the filters");
  }
  return out;
}

Failure Engine::explain() const {
  std::array<uint32_t, kRejectCount> counts{};
  for (uint32_t node = 0; node < state_.nodes.size(); ++node) {
    ++counts[static_cast<size_t>(check(state_, node, request_))];
  }
  // A feasible node here means the candidate index missed it: reported as no reason at all,
  // which place() turns into an internal error.
  if (counts[0] > 0) return Failure{request_.source->id, static_cast<uint32_t>(state_.nodes.size()), {}, {}};
  Failure f;
  f.request_id = request_.source->id;
  f.nodes_evaluated = static_cast<uint32_t>(state_.nodes.size());
  for (int r = 1; r < kRejectCount; ++r) {
    if (counts[r] > 0) f.reasons.push_back({std::string(reject_name(static_cast<Reject>(r))), counts[r]});
  }
  // Most nodes first; equal counts keep filter order (stable sort).
  std::stable_sort(f.reasons.begin(), f.reasons.end(),
                   [](const FilterCount& a, const FilterCount& b) { return a.nodes > b.nodes; });
  f.explanation = "no node fits task " + f.request_id;
  if (f.nodes_evaluated == 0) {
    f.explanation += ": the snapshot has no nodes";
    return f;
  }
  const char* sep = ": ";
  for (const FilterCount& c : f.reasons) {
    f.explanation += sep + std::to_string(c.nodes) + (c.nodes == 1 ? " node: " : " nodes: ") + c.filter;
    sep = "; ";
  }
  return f;
}

}  // namespace iotwins::scheduler::detail
