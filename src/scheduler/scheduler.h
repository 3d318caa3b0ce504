// The resource scheduler: (placement requests, snapshot of nodes) -> plan. Pure: no I/O, no
// clock, no threads; the same input and seed give the same plan.
//
//   auto plan = scheduler::plan(nodes, requests, config);       // one shot
//   auto s = Scheduler::create(nodes, config); s->place(batch);  // incremental, see snapshot()
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/result.h"
#include "scheduler/types.h"

namespace iotwins::scheduler {

namespace detail {
class Engine;
}

// The outcome of one request: exactly one of the two is set.
struct Outcome {
  std::optional<Assignment> assignment;
  std::optional<Failure> failure;
};

// Holds the snapshot and updates it as requests are placed. Not thread-safe; movable.
class Scheduler {
 public:
  // Errors name the bad node ("node #4 'edge-2': capacity.cpu_millis is negative").
  static Result<Scheduler> create(std::vector<NodeSnapshot> nodes, SchedulerConfig config = {});

  Scheduler(Scheduler&&) noexcept;
  Scheduler& operator=(Scheduler&&) noexcept;
  ~Scheduler();

  // Places requests in order; each sees the allocations of those before it. An invalid request
  // (or a duplicate id) fails the whole call before anything is placed.
  Result<Plan> place(std::span<const PlacementRequest> requests);
  // One request; invalid input is an error and changes nothing.
  Result<Outcome> place_one(const PlacementRequest& request);

  // The nodes with every placement so far: allocations added, tasks appended.
  std::vector<NodeSnapshot> snapshot() const;

 private:
  explicit Scheduler(std::unique_ptr<detail::Engine> engine);
  std::unique_ptr<detail::Engine> engine_;
};

Result<Plan> plan(std::vector<NodeSnapshot> nodes, std::span<const PlacementRequest> requests,
                  const SchedulerConfig& config = {});

// A task that must be placed again: it runs on a draining or down node. Tasks on unreachable
// nodes stay where they are until the node is declared down.
struct TaskToMove {
  std::string node_id;
  TaskPlacement task;
};
std::vector<TaskToMove> tasks_to_move(const std::vector<NodeSnapshot>& nodes);

}  // namespace iotwins::scheduler
