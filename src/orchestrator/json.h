// JSON renderings of the orchestrator's values for the REST API (GET /api/v1/deployments[/{id}],
// /events, the node watch). Output only: requests (a template and inputs) are text the frontend
// validates itself.
#pragma once

#include <string>
#include <vector>

#include "orchestrator/types.h"

namespace iotwins::orchestrator {

struct DeploymentView {
  const Deployment* deployment = nullptr;
  const std::vector<NodeInstance>* instances = nullptr;  // optional
  const std::vector<Output>* outputs = nullptr;          // optional
  bool with_template = false;
};

// {"id","status","reason","created_ns","updated_ns","revision","inputs":{…}[,"template"]
//  [,"instances":[{"name","index","node","state","reason","task_id","attributes"}]]
//  [,"outputs":{"name": value or null}]}
std::string deployment_json(const DeploymentView& view);
// [{"seq","ts_ns","kind","node","message"}]
std::string events_json(const std::vector<DeploymentEvent>& events);
// {"node","revision","tasks":[TaskSpec…]}: what the node watch pushes.
std::string desired_json(const DesiredSet& set);

}  // namespace iotwins::orchestrator
