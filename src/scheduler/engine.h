// The search behind Scheduler: candidate nodes from the indexes, filter, score, pick, record.
#pragma once

#include <vector>

#include "scheduler/compiled.h"
#include "scheduler/scheduler.h"
#include "scheduler/state.h"

namespace iotwins::scheduler::detail {

class Engine {
 public:
  Engine(State state, SchedulerConfig config);

  // `request` is valid (validate_request passed).
  Result<Outcome> place(const PlacementRequest& request);
  const State& state() const { return state_; }

 private:
  // Calls visit(node) for every candidate, starting at candidate `start` and wrapping around,
  // until visit returns false.
  template <class Visit>
  void walk_candidates(uint64_t start, Visit&& visit) const;
  uint64_t candidate_count() const;
  void collect_spans();
  Failure explain() const;

  State state_;
  SchedulerConfig config_;
  CompiledRequest request_;                 // reused: no allocation per request once warm
  std::vector<uint8_t> near_mark_;          // one byte per node, zero between requests
  std::vector<const std::vector<uint32_t>*> spans_;  // candidate lists of the current request
};

}  // namespace iotwins::scheduler::detail
