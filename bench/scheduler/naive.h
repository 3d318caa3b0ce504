// The in-run anchor: the textbook scheduler — for every request, filter and score every node of
// the snapshot as given (strings, maps), recompute spread counts from all tasks, and pick the
// best. Same semantics and tie-break as the library, so its choices must equal the library's
// exhaustive mode; the benchmark checks that.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/types.h"

namespace iotwins::scheduler::bench {

class NaiveScheduler {
 public:
  NaiveScheduler(std::vector<NodeSnapshot> nodes, SchedulerConfig config);
  // The chosen node id, or nullopt.
  std::optional<std::string> place(const PlacementRequest& request);

 private:
  bool feasible(const NodeSnapshot& node, const PlacementRequest& r) const;
  double score(const NodeSnapshot& node, const PlacementRequest& r) const;
  const NodeSnapshot* subtree_root(const NodeSnapshot& node) const;
  bool near(const NodeSnapshot& node, const PlacementRequest& r, bool host_only) const;

  std::vector<NodeSnapshot> nodes_;
  SchedulerConfig config_;
  std::map<std::string, size_t> by_id_;
  std::vector<const NodeSnapshot*> near_roots_;  // per request: subtree roots of the hosts
  // Per request: spread domain counts (value, or "\x01none" for nodes without the key).
  std::vector<std::pair<std::string, uint32_t>> domains_;
  uint32_t spread_min_ = 0, spread_max_ = 0;
};

}  // namespace iotwins::scheduler::bench
