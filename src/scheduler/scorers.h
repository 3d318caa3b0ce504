// Scoring feasible nodes. Every scorer returns a value in [0, 1]; the total is their weighted
// sum (SchedulerConfig weights), and ties go to the node with the smaller tie key.
#pragma once

#include <cstdint>

#include "scheduler/compiled.h"
#include "scheduler/state.h"
#include "scheduler/types.h"

namespace iotwins::scheduler::detail {

// Mean utilisation over cpu and memory (and gpus when requested) after placing: binpack
// prefers it high, spread low (1 - it). Dimensions with zero capacity are left out.
double fit_score(const NodeRec& node, const Resources& request, Strategy strategy);

// Weighted share of the preferred affinity terms the node satisfies (anti terms: by running no
// matching task); 0 when there are no preferred terms.
double affinity_score(const State& state, uint32_t node, const CompiledRequest& request);

// 1 for a node whose spread domain holds the fewest tasks of the group, 0 for the most,
// linear between; 1 when all domains are even.
double spread_score(const State& state, uint32_t node, const CompiledRequest& request);

// 1 on a host of the twin or service, 0.5 elsewhere in a host's edge subtree, 0 otherwise.
double near_score(const State& state, uint32_t node, const CompiledRequest& request);

double total_score(const State& state, uint32_t node, const CompiledRequest& request, const SchedulerConfig& config);

// Smaller wins among equal scores: a stable hash of the node id mixed with the request and seed.
inline uint64_t tie_key(const NodeRec& node, const CompiledRequest& request) {
  return mix(node.tie_hash ^ request.tie_seed);
}

}  // namespace iotwins::scheduler::detail
