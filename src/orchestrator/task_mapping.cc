#include "orchestrator/task_mapping.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "tosca/scalars.h"
#include "tosca/validate.h"

namespace iotwins::orchestrator {
namespace {

using tosca::Value;

Status bad(const tosca::NodeInstance& node, const std::string& what) {
  return make_error(Errc::invalid_argument, "node template " + node.name + ": " + what);
}

bool targets(const tosca::PolicyInstance& p, const std::string& node) {
  return std::find(p.targets.begin(), p.targets.end(), node) != p.targets.end();
}

bool policy_is(const tosca::PolicyInstance& p, std::string_view type) {
  return std::find(p.type_chain.begin(), p.type_chain.end(), type) != p.type_chain.end();
}

std::string str(const Value* v) { return v && v->is_scalar() && !v->is_null() ? v->scalar_text() : std::string(); }

// The most derived iotwins task or service type in the chain: the builtin operator's name.
std::string builtin_name(const tosca::NodeInstance& node) {
  for (const auto& t : node.type_chain) {
    if (t == "iotwins.nodes.Task" || t == "iotwins.nodes.Task.Custom") continue;
    if (t.starts_with("iotwins.nodes.Task.") || t.starts_with("iotwins.nodes.Service.")) return t;
  }
  return "";
}

Status set_resources(const tosca::NodeInstance& node, TaskTemplate& out) {
  double cpu = 0.1;                      // the defaults of iotwins.datatypes.Resources
  double memory = 64.0 * 1024 * 1024;
  int64_t gpus = 0;
  if (const Value* r = node.properties.find("resources"); r && r->is_map()) {
    if (const Value* c = r->find("cpu"); c && c->is_number()) cpu = c->as_number();
    if (const Value* m = r->find("memory"); m && m->is_string()) {
      auto parsed = tosca::parse_scalar_unit(m->as_string(), tosca::ScalarUnitKind::size);
      if (!parsed) return bad(node, "resources.memory: not a size: '" + m->as_string() + "'");
      memory = parsed->base;
    }
    if (const Value* g = r->find("gpu"); g && g->is_int()) gpus = g->as_int();
  }
  out.resources = {static_cast<int64_t>(std::llround(cpu * 1000)), static_cast<int64_t>(memory), gpus};
  out.spec.resources.cpu = cpu;
  out.spec.resources.memory_bytes = static_cast<uint64_t>(memory);
  return ok();
}

Status set_program(const tosca::NodeInstance& node, TaskTemplate& out) {
  runtime::TaskSpec& s = out.spec;
  const Value* command = node.properties.find("command");
  if (node.is_a("iotwins.nodes.Task.Custom")) {
    for (const auto& a : node.artifacts) {
      bool image = std::find(a.type_chain.begin(), a.type_chain.end(), "iotwins.artifacts.Image") != a.type_chain.end();
      bool exe = std::find(a.type_chain.begin(), a.type_chain.end(), "iotwins.artifacts.Executable") != a.type_chain.end();
      if (image) {
        s.driver = "oci";
        s.image = a.file;
      } else if (exe) {
        s.driver = "exec";
        std::string file = a.file.starts_with("sha256:") ? a.file.substr(7) : a.file;
        if (file.starts_with("/")) {
          s.command = file;
        } else if (file.size() == 64 && std::all_of(file.begin(), file.end(), [](char c) {
                     return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                   })) {
          s.artifact_sha256 = file;
        } else {
          return bad(node, "artifact " + a.name + ": file '" + a.file +
                               "' must be the sha256 of an uploaded artifact (PUT /api/v1/artifacts) or an absolute "
                               "path on the node");
        }
      } else {
        continue;
      }
      if (const Value* args = node.properties.find("args"); args && args->is_list()) {
        for (const auto& e : args->as_list()) s.args.push_back(e.scalar_text());
      }
      out.drivers = {s.driver};
      return ok();
    }
    return bad(node, "has no iotwins.artifacts.Executable or iotwins.artifacts.Image artifact");
  }
  if (command && command->is_list() && !command->as_list().empty()) {
    s.driver = "exec";
    const auto& parts = command->as_list();
    s.command = parts[0].scalar_text();
    if (!s.command.starts_with("/")) return bad(node, "command[0]: must be an absolute path, got '" + s.command + "'");
    for (size_t i = 1; i < parts.size(); ++i) s.args.push_back(parts[i].scalar_text());
    out.drivers = {"exec"};
    return ok();
  }
  s.builtin = builtin_name(node);
  if (s.builtin.empty()) return bad(node, "an " + node.type + " needs a `command` or a specific task type");
  s.driver = "builtin";
  Value config = Value::map();
  for (const auto& [k, v] : node.properties.as_map()) {
    if (k == "resources" || k == "command" || k == "env" || k == "replicas") continue;
    config.set(k, v);
  }
  s.config_json = tosca::value_to_json(config);
  out.drivers = {"builtin"};
  return ok();
}

void set_restart(const tosca::InstanceModel& model, const tosca::NodeInstance& node, runtime::TaskSpec& s) {
  for (const auto& p : model.policies) {
    if (!policy_is(p, "iotwins.policies.QoS") || !targets(p, node.name)) continue;
    std::string mode = str(p.properties.find("restart"));
    if (mode == "always") s.restart.mode = runtime::RestartMode::always;
    if (mode == "never") s.restart.mode = runtime::RestartMode::never;
    if (mode == "on_failure") s.restart.mode = runtime::RestartMode::on_failure;
    if (const Value* m = p.properties.find("max_restarts"); m && m->is_int()) {
      s.restart.max_restarts = static_cast<int>(m->as_int());
    }
  }
}

int replicas_of(const tosca::InstanceModel& model, const tosca::NodeInstance& node) {
  int64_t n = 1;
  if (const Value* r = node.properties.find("replicas"); r && r->is_int()) n = r->as_int();
  for (const auto& p : model.policies) {
    if (!policy_is(p, "iotwins.policies.Scaling") || !targets(p, node.name)) continue;
    const Value* d = p.properties.find("default_instances");
    if (!d || !d->is_int()) d = p.properties.find("min_instances");
    if (d && d->is_int()) n = d->as_int();
  }
  return static_cast<int>(std::clamp<int64_t>(n, 0, 1000));
}

}  // namespace

std::string task_id(const std::string& deployment, const std::string& node, int index) {
  std::string id = deployment + "." + node + "." + std::to_string(index);
  for (char& c : id) {
    bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!okc) c = '-';
  }
  return id.substr(0, 128);
}

// A builtin task's config gets the twin ids of its `twin` requirements as "twins" (the twins it
// works on: a DataFilter's or Inference's devices, a Simulation's asset); external tasks get them
// in IOTWINS_TWINS (comma-separated).
void add_twins(const tosca::InstanceModel& model, const tosca::NodeInstance& node, runtime::TaskSpec& s) {
  std::vector<std::string> twins;
  for (const auto& r : node.requirements) {
    const tosca::NodeInstance* t = model.find(r.target);
    if (!t || !t->is_a("iotwins.nodes.Twin")) continue;
    std::string id = str(t->properties.find("twin_id"));
    if (!id.empty() && std::find(twins.begin(), twins.end(), id) == twins.end()) twins.push_back(id);
  }
  if (twins.empty()) return;
  if (s.driver == "builtin") {
    auto config = nlohmann::json::parse(s.config_json, nullptr, false);
    if (!config.is_object() || config.contains("twins")) return;
    config["twins"] = twins;
    s.config_json = config.dump();
  } else {
    std::string joined;
    for (const auto& t : twins) joined += (joined.empty() ? "" : ",") + t;
    s.env.emplace("IOTWINS_TWINS", joined);
  }
}

Result<std::optional<TaskTemplate>> task_template(const tosca::InstanceModel& model, const tosca::NodeInstance& node,
                                                  const std::string& deployment) {
  if (!node.is_a("iotwins.nodes.Task") && builtin_name(node).empty()) return std::optional<TaskTemplate>();
  TaskTemplate out;
  out.spec.deployment = deployment;
  IOT_TRY(set_program(node, out));
  IOT_TRY(set_resources(node, out));
  if (const Value* env = node.properties.find("env"); env && env->is_map()) {
    for (const auto& [k, v] : env->as_map()) out.spec.env[k] = v.scalar_text();
  }
  set_restart(model, node, out.spec);
  add_twins(model, node, out.spec);
  // Streams between nodes and the broker are reached over the network.
  out.spec.network = out.spec.driver == "oci";
  out.replicas = node.is_a("iotwins.nodes.Task") ? replicas_of(model, node) : 1;
  return std::optional<TaskTemplate>(std::move(out));
}

PlacementHints placement_hints(const tosca::InstanceModel& model, const tosca::NodeInstance& node) {
  PlacementHints h;
  for (const auto& p : model.policies) {
    if (!policy_is(p, "iotwins.policies.Placement") || !targets(p, node.name)) continue;
    if (auto level = scheduler::parse_level(str(p.properties.find("level")))) h.level = *level;
    if (const Value* labels = p.properties.find("labels"); labels && labels->is_map()) {
      for (const auto& [k, v] : labels->as_map()) h.labels[k] = v.scalar_text();
    }
    if (const tosca::NodeInstance* near = model.find(str(p.properties.find("near")))) {
      scheduler::Near n;
      if (near->is_a("iotwins.nodes.Twin")) {
        n.kind = scheduler::Near::Kind::twin;
        n.target = str(near->properties.find("twin_id"));
      } else {
        n.kind = scheduler::Near::Kind::service;
        n.target = "store";
      }
      h.near = n;
    }
  }
  return h;
}

}  // namespace iotwins::orchestrator
