// The planner: an instance model + a snapshot of the nodes → the deployment's node instances,
// each placed (through the scheduler) with its TaskSpec and stream wiring, in TOSCA dependency
// layers. Pure: no I/O, no clock; the same input gives the same plan.
//
// Placement units: every Compute node template is one unit (one machine: the sum of what is
// hosted on it must fit, with the Compute's level, arch, labels and host capability); a task
// whose host was not assigned in the template (bound implicitly) or that is hosted on nothing is
// placed on its own, per replica. Logical nodes (Twin, ...) are placed nowhere.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "model/node.h"
#include "orchestrator/types.h"
#include "scheduler/types.h"
#include "tosca/instance.h"

namespace iotwins::orchestrator {

// Every snapshot carries this label with the node's id, so a unit can be pinned to where it ran.
inline constexpr std::string_view kNodeLabel = "iotwins.io/node";

// Registry nodes → scheduler snapshots, with the resources and tasks of `placed` instances
// (those of `exclude_deployment` left out: the deployment being planned brings its own). Driver
// names are the runtime's: builtin, exec, sandbox (bubblewrap), oci (containers).
std::vector<scheduler::NodeSnapshot> node_snapshots(const std::vector<model::Node>& nodes,
                                                    const std::vector<NodeInstance>& placed,
                                                    std::string_view exclude_deployment);

struct PlanInput {
  const tosca::InstanceModel* model = nullptr;
  std::string deployment;
  std::vector<scheduler::NodeSnapshot> nodes;
  // unit → node it is on now: kept there when that node is ready or unreachable and it still fits.
  std::map<std::string, std::string> previous;
};

struct DeploymentPlan {
  std::vector<NodeInstance> instances;             // state initial; layer order
  std::map<std::string, std::string> placements;   // unit → node id
  std::vector<std::vector<std::string>> layers;    // node template names, deploy in this order
  std::vector<scheduler::Failure> failures;        // units that could not be placed
  std::string explanation() const;                 // the failures, one sentence each
};

// Errors: a node template that cannot become a task (invalid_argument naming it); an unplaceable
// unit is not an error but a failure in the plan.
Result<DeploymentPlan> plan_deployment(const PlanInput& input);

// Stream wiring of StreamsTo relationships, on placed instances (tasks only): the source gets
// the stream in its outputs, the target in its inputs, named "<transport>:<stream>" where the
// transport is `inproc` (both builtin on one node), `mqtt` (one node, the node's broker) or
// `dataplane` (different nodes); the stream is the relationship's topic, else
// "<deployment>.<source>.<target>".
void wire_streams(const tosca::InstanceModel& model, const std::string& deployment, std::vector<NodeInstance>& instances);

}  // namespace iotwins::orchestrator
