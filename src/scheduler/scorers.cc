#include "scheduler/scorers.h"

#include "scheduler/filters.h"

namespace iotwins::scheduler::detail {
namespace {

double share(int64_t allocated, int64_t request, int64_t capacity) {
  double u = static_cast<double>(allocated + request) / static_cast<double>(capacity);
  return u > 1 ? 1 : u;
}

}  // namespace

double fit_score(const NodeRec& node, const Resources& request, Strategy strategy) {
  double sum = 0;
  int dims = 0;
  if (node.capacity.cpu_millis > 0) {
    sum += share(node.allocated.cpu_millis, request.cpu_millis, node.capacity.cpu_millis);
    ++dims;
  }
  if (node.capacity.memory_bytes > 0) {
    sum += share(node.allocated.memory_bytes, request.memory_bytes, node.capacity.memory_bytes);
    ++dims;
  }
  // GPUs only matter to tasks that use them; otherwise an idle GPU node would look emptier.
  if (request.gpus > 0 && node.capacity.gpus > 0) {
    sum += share(node.allocated.gpus, request.gpus, node.capacity.gpus);
    ++dims;
  }
  double used = dims == 0 ? 0 : sum / dims;
  return strategy == Strategy::binpack ? used : 1 - used;
}

double affinity_score(const State& state, uint32_t node, const CompiledRequest& request) {
  if (request.preferred_weight == 0) return 0;
  int got = 0;
  for (const CompiledTerm& term : request.terms) {
    if (term.required) continue;
    if (node_has_match(state, node, request, term) != term.anti) got += term.weight;
  }
  return static_cast<double>(got) / request.preferred_weight;
}

double spread_score(const State& /*state*/, uint32_t node, const CompiledRequest& request) {
  if (request.spread == nullptr) return 0;
  const SpreadDomains& d = *request.spread;
  if (d.max == d.min) return 1;
  uint32_t c = d.count_on(node);
  return static_cast<double>(d.max - c) / static_cast<double>(d.max - d.min);
}

double near_score(const State& state, uint32_t node, const CompiledRequest& request) {
  if (!request.has_near) return 0;
  if (request.near_mark[node] & kNearHost) return 1;
  if (request.near_mark[state.nodes[node].subtree_root] & kNearRoot) return 0.5;
  return 0;
}

double total_score(const State& state, uint32_t node, const CompiledRequest& request, const SchedulerConfig& config) {
  double score = config.fit_weight * fit_score(state.nodes[node], request.resources, config.strategy);
  if (request.preferred_weight > 0) score += config.affinity_weight * affinity_score(state, node, request);
  if (request.spread != nullptr) {
    score += config.spread_weight * request.spread_weight * spread_score(state, node, request);
  }
  if (request.has_near) score += config.near_weight * near_score(state, node, request);
  return score;
}

}  // namespace iotwins::scheduler::detail
