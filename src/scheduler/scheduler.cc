#include "scheduler/scheduler.h"

#include "scheduler/engine.h"
#include "scheduler/validate.h"

namespace iotwins::scheduler {

Scheduler::Scheduler(std::unique_ptr<detail::Engine> engine) : engine_(std::move(engine)) {}
Scheduler::Scheduler(Scheduler&&) noexcept = default;
Scheduler& Scheduler::operator=(Scheduler&&) noexcept = default;
Scheduler::~Scheduler() = default;

Result<Scheduler> Scheduler::create(std::vector<NodeSnapshot> nodes, SchedulerConfig config) {
  IOT_TRY(validate_config(config));
  IOT_ASSIGN(detail::State state, detail::State::build(std::move(nodes)));
  return Scheduler(std::make_unique<detail::Engine>(std::move(state), config));
}

Result<Plan> Scheduler::place(std::span<const PlacementRequest> requests) {
  IOT_TRY(validate_requests(requests));
  Plan plan;
  for (const PlacementRequest& request : requests) {
    IOT_ASSIGN(Outcome outcome, engine_->place(request));
    if (outcome.assignment) {
      plan.assignments.push_back(std::move(*outcome.assignment));
    } else {
      plan.failures.push_back(std::move(*outcome.failure));
    }
  }
  return plan;
}

Result<Outcome> Scheduler::place_one(const PlacementRequest& request) {
  IOT_TRY(validate_request(request, 0));
  return engine_->place(request);
}

std::vector<NodeSnapshot> Scheduler::snapshot() const { return engine_->state().export_snapshot(); }

Result<Plan> plan(std::vector<NodeSnapshot> nodes, std::span<const PlacementRequest> requests,
                  const SchedulerConfig& config) {
  IOT_ASSIGN(Scheduler scheduler, Scheduler::create(std::move(nodes), config));
  return scheduler.place(requests);
}

std::vector<TaskToMove> tasks_to_move(const std::vector<NodeSnapshot>& nodes) {
  std::vector<TaskToMove> out;
  for (const NodeSnapshot& node : nodes) {
    if (node.state != NodeState::draining && node.state != NodeState::down) continue;
    for (const TaskPlacement& task : node.tasks) out.push_back({node.id, task});
  }
  return out;
}

}  // namespace iotwins::scheduler
