// From a TOSCA node instance to what an agent runs: the TaskSpec (driver, operator or program,
// config, resources, restart policy) and what placing it needs (resources, drivers, replicas,
// the Placement policy). Pure; no I/O.
//
// Which driver runs which node type (the runtime's driver names, which the snapshots use too):
//   iotwins.nodes.Task.Custom with an iotwins.artifacts.Image → oci (image = the artifact's file)
//   iotwins.nodes.Task.Custom with an iotwins.artifacts.Executable → exec (artifact sha256, or an
//     absolute path on the node as the command)
//   any iotwins Task with a `command` property → exec (command[0] absolute, the rest its args)
//   other iotwins Tasks and the iotwins Services → builtin, the operator named by the most derived
//     iotwins type ("iotwins.nodes.Task.DataFilter"), its config the node's properties as JSON
//   anything else (Compute, Twin, other types) → no task: a logical node
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "runtime/task_spec.h"
#include "scheduler/types.h"
#include "tosca/instance.h"

namespace iotwins::orchestrator {

struct PlacementHints {  // from iotwins.policies.Placement policies targeting the node
  std::optional<scheduler::Level> level;
  std::map<std::string, std::string> labels;
  std::optional<scheduler::Near> near;
};

struct TaskTemplate {
  runtime::TaskSpec spec;  // id and streams are filled by the planner
  scheduler::Resources resources;
  std::vector<std::string> drivers;  // what the node must provide
  int replicas = 1;
};

// nullopt: the node is not a task. Errors name the node and the field ("node template
// exporter: artifact image: ...").
Result<std::optional<TaskTemplate>> task_template(const tosca::InstanceModel& model, const tosca::NodeInstance& node,
                                                  const std::string& deployment);

PlacementHints placement_hints(const tosca::InstanceModel& model, const tosca::NodeInstance& node);

// "<deployment>.<node>.<index>", characters outside [A-Za-z0-9._-] replaced by '-'.
std::string task_id(const std::string& deployment, const std::string& node, int index);

}  // namespace iotwins::orchestrator
