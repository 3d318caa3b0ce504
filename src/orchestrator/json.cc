#include "orchestrator/json.h"

#include <nlohmann/json.hpp>

namespace iotwins::orchestrator {
namespace {

using nlohmann::json;

json instance_json(const NodeInstance& n) {
  json j{{"name", n.name},   {"index", n.index},     {"node", n.node_id},         {"state", to_string(n.state)},
         {"reason", n.reason}, {"task_id", n.task_id}, {"attributes", n.attributes}};
  if (n.next_spec) j["pending_update"] = true;
  return j;
}

}  // namespace

std::string deployment_json(const DeploymentView& v) {
  const Deployment& d = *v.deployment;
  json inputs = json::parse(d.inputs_json, nullptr, false);
  if (inputs.is_discarded()) inputs = d.inputs_json;  // YAML inputs: shown as given
  json j{{"id", d.id},           {"group", d.group},             {"status", d.status()},         {"reason", d.reason}, {"created_ns", d.created_ns},
         {"updated_ns", d.updated_ns}, {"revision", d.revision}, {"inputs", inputs}};
  if (v.with_template) j["template"] = d.template_text;
  if (v.instances) {
    j["instances"] = json::array();
    for (const auto& n : *v.instances) j["instances"].push_back(instance_json(n));
  }
  if (v.outputs) {
    j["outputs"] = json::object();
    for (const auto& o : *v.outputs) j["outputs"][o.name] = o.value ? json(*o.value) : json(nullptr);
  }
  return j.dump();
}

std::string events_json(const std::vector<DeploymentEvent>& events) {
  json out = json::array();
  for (const auto& e : events) {
    out.push_back({{"seq", e.seq}, {"ts_ns", e.ts_ns}, {"kind", e.kind}, {"node", e.node}, {"message", e.message}});
  }
  return out.dump();
}

std::string desired_json(const DesiredSet& set) {
  json j{{"node", set.node_id}, {"revision", set.revision}};
  j["tasks"] = json::parse(runtime::encode_task_specs(set.tasks));
  return j.dump();
}

}  // namespace iotwins::orchestrator
