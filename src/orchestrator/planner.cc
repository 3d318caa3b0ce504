#include "orchestrator/planner.h"

#include <algorithm>
#include <optional>
#include <set>

#include "orchestrator/task_mapping.h"
#include "scheduler/scheduler.h"
#include "tosca/scalars.h"

namespace iotwins::orchestrator {
namespace {

using tosca::Value;

bool chain_has(const std::vector<std::string>& chain, std::string_view t) {
  return std::find(chain.begin(), chain.end(), t) != chain.end();
}

bool hosted_explicitly(const tosca::NodeInstance& n) {
  for (const auto& r : n.requirements) {
    if (chain_has(r.type_chain, "tosca.relationships.HostedOn") && !r.implicit) return true;
  }
  return false;
}

// The Compute a node runs on, following explicit HostedOn relationships.
std::optional<size_t> root_compute(const tosca::InstanceModel& m, size_t i) {
  for (size_t hops = 0; hops <= m.nodes.size(); ++hops) {
    const auto& n = m.nodes[i];
    if (n.is_a("tosca.nodes.Compute")) return i;
    if (!n.host || !hosted_explicitly(n)) return std::nullopt;
    i = *n.host;
  }
  return std::nullopt;
}

void add_selector(scheduler::PlacementRequest& r, const std::map<std::string, std::string>& labels) {
  for (const auto& [k, v] : labels) {
    r.selector.push_back({k, scheduler::LabelRequirement::Op::eq, {v}});
  }
}

void apply_hints(scheduler::PlacementRequest& r, const PlacementHints& h) {
  if (!r.level && h.level) r.level = h.level;
  add_selector(r, h.labels);
  if (!r.near && h.near) r.near = h.near;
}

void add_driver(scheduler::PlacementRequest& r, const std::vector<std::string>& drivers) {
  for (const auto& d : drivers) {
    if (!chain_has(r.drivers, d)) r.drivers.push_back(d);
  }
  std::sort(r.drivers.begin(), r.drivers.end());
}

// The Compute's own requirements: level, labels, arch and the host capability's sizes.
scheduler::PlacementRequest compute_request(const tosca::NodeInstance& c, const std::string& deployment) {
  scheduler::PlacementRequest r;
  r.id = c.name;
  r.deployment = deployment;
  r.group = c.name;
  if (const Value* level = c.properties.find("level"); level && level->is_string()) {
    if (auto l = scheduler::parse_level(level->as_string())) r.level = *l;
  }
  if (const Value* labels = c.properties.find("labels"); labels && labels->is_map()) {
    for (const auto& [k, v] : labels->as_map()) {
      r.selector.push_back({k, scheduler::LabelRequirement::Op::eq, {v.scalar_text()}});
    }
  }
  const Value* host = c.capabilities.find("host");
  const Value* props = host ? host->find("properties") : nullptr;
  if (props && props->is_map()) {
    if (const Value* cpu = props->find("cpu"); cpu && cpu->is_number()) {
      r.resources.cpu_millis = static_cast<int64_t>(cpu->as_number() * 1000);
    }
    if (const Value* mem = props->find("memory"); mem && mem->is_string()) {
      if (auto s = tosca::parse_scalar_unit(mem->as_string(), tosca::ScalarUnitKind::size)) {
        r.resources.memory_bytes = static_cast<int64_t>(s->base);
      }
    }
    if (const Value* gpu = props->find("gpu"); gpu && gpu->is_int()) r.resources.gpus = gpu->as_int();
    if (const Value* arch = props->find("arch"); arch && arch->is_string()) r.arch = arch->as_string();
  }
  return r;
}

struct Unit {
  std::string key;
  scheduler::PlacementRequest request;
  scheduler::Resources hosted;  // the sum of what runs on it
};

}  // namespace

std::string DeploymentPlan::explanation() const {
  std::string out;
  for (const auto& f : failures) out += (out.empty() ? "" : "; ") + f.explanation;
  return out;
}

Result<DeploymentPlan> plan_deployment(const PlanInput& in) {
  const tosca::InstanceModel& m = *in.model;
  std::vector<std::optional<TaskTemplate>> tasks(m.nodes.size());
  for (size_t i = 0; i < m.nodes.size(); ++i) {
    IOT_ASSIGN(tasks[i], task_template(m, m.nodes[i], in.deployment));
  }

  // Units in document order: Computes, then host-less task replicas.
  std::vector<Unit> units;
  std::map<std::string, size_t> unit_index;
  std::vector<std::optional<size_t>> compute(m.nodes.size());
  for (size_t i = 0; i < m.nodes.size(); ++i) {
    if (!m.nodes[i].is_a("tosca.nodes.Compute")) continue;
    unit_index[m.nodes[i].name] = units.size();
    units.push_back({m.nodes[i].name, compute_request(m.nodes[i], in.deployment), {}});
  }
  for (size_t i = 0; i < m.nodes.size(); ++i) {
    compute[i] = root_compute(m, i);
    if (!tasks[i]) continue;
    const TaskTemplate& t = *tasks[i];
    PlacementHints hints = placement_hints(m, m.nodes[i]);
    if (compute[i]) {
      Unit& u = units[unit_index[m.nodes[*compute[i]].name]];
      u.hosted.cpu_millis += t.resources.cpu_millis * t.replicas;
      u.hosted.memory_bytes += t.resources.memory_bytes * t.replicas;
      u.hosted.gpus += t.resources.gpus * t.replicas;
      add_driver(u.request, t.drivers);
      apply_hints(u.request, hints);
      continue;
    }
    for (int k = 0; k < t.replicas; ++k) {
      Unit u;
      u.key = m.nodes[i].name + "#" + std::to_string(k);
      u.request.id = u.key;
      u.request.deployment = in.deployment;
      u.request.group = m.nodes[i].name;
      u.request.resources = t.resources;
      add_driver(u.request, t.drivers);
      apply_hints(u.request, hints);
      unit_index[u.key] = units.size();
      units.push_back(std::move(u));
    }
  }
  for (Unit& u : units) {
    auto& r = u.request.resources;
    r.cpu_millis = std::max(r.cpu_millis, u.hosted.cpu_millis);
    r.memory_bytes = std::max(r.memory_bytes, u.hosted.memory_bytes);
    r.gpus = std::max(r.gpus, u.hosted.gpus);
  }

  // Units that ran somewhere first, so they keep their place; then the new ones.
  IOT_ASSIGN(auto sched, scheduler::Scheduler::create(in.nodes));
  DeploymentPlan plan;
  std::vector<const Unit*> order;
  for (const Unit& u : units) {
    if (in.previous.contains(u.key)) order.push_back(&u);
  }
  for (const Unit& u : units) {
    if (!in.previous.contains(u.key)) order.push_back(&u);
  }
  for (const Unit* u : order) {
    if (auto prev = in.previous.find(u->key); prev != in.previous.end()) {
      scheduler::PlacementRequest pinned = u->request;
      pinned.selector.push_back({std::string(kNodeLabel), scheduler::LabelRequirement::Op::eq, {prev->second}});
      IOT_ASSIGN(auto kept, sched.place_one(pinned));
      if (kept.assignment) {
        plan.placements[u->key] = kept.assignment->node_id;
        continue;
      }
    }
    IOT_ASSIGN(auto outcome, sched.place_one(u->request));
    if (outcome.assignment) {
      plan.placements[u->key] = outcome.assignment->node_id;
    } else {
      plan.failures.push_back(*outcome.failure);
    }
  }

  for (const auto& layer : m.layers) {
    std::vector<std::string> names;
    for (size_t i : layer) {
      const auto& n = m.nodes[i];
      names.push_back(n.name);
      int count = tasks[i] ? tasks[i]->replicas : 1;
      for (int k = 0; k < count; ++k) {
        NodeInstance inst;
        inst.deployment = in.deployment;
        inst.name = n.name;
        inst.index = k;
        inst.layer = static_cast<int>(n.layer);
        if (compute[i]) {
          inst.unit = m.nodes[*compute[i]].name;
        } else if (tasks[i]) {
          inst.unit = n.name + "#" + std::to_string(k);
        }
        if (auto p = plan.placements.find(inst.unit); p != plan.placements.end()) inst.node_id = p->second;
        if (!inst.node_id.empty()) inst.attributes["node"] = inst.node_id;
        if (tasks[i]) {
          inst.task_id = task_id(in.deployment, n.name, k);
          inst.spec = tasks[i]->spec;
          inst.spec->id = inst.task_id;
        }
        plan.instances.push_back(std::move(inst));
      }
    }
    plan.layers.push_back(std::move(names));
  }
  wire_streams(m, in.deployment, plan.instances);
  return plan;
}

void wire_streams(const tosca::InstanceModel& m, const std::string& deployment, std::vector<NodeInstance>& instances) {
  std::map<std::string, std::vector<NodeInstance*>> by_name;
  for (auto& inst : instances) {
    if (inst.spec) by_name[inst.name].push_back(&inst);
  }
  auto add = [](std::vector<std::string>& list, const std::string& s) {
    if (!chain_has(list, s)) list.push_back(s);
  };
  for (const auto& src : m.nodes) {
    for (const auto& r : src.requirements) {
      if (!chain_has(r.type_chain, "iotwins.relationships.StreamsTo")) continue;
      std::string stream = deployment + "." + src.name + "." + r.target;
      if (const Value* topic = r.properties.find("topic"); topic && topic->is_string() && !topic->as_string().empty()) {
        stream = topic->as_string();
      }
      for (NodeInstance* s : by_name[src.name]) {
        for (NodeInstance* t : by_name[r.target]) {
          std::string transport = "dataplane";
          if (!s->node_id.empty() && s->node_id == t->node_id) {
            transport = s->spec->driver == "builtin" && t->spec->driver == "builtin" ? "inproc" : "mqtt";
          }
          add(s->spec->outputs, transport + ":" + stream);
          add(t->spec->inputs, transport + ":" + stream);
        }
      }
    }
  }
}

std::vector<scheduler::NodeSnapshot> node_snapshots(const std::vector<model::Node>& nodes,
                                                    const std::vector<NodeInstance>& placed,
                                                    std::string_view exclude_deployment) {
  std::vector<scheduler::NodeSnapshot> out;
  std::map<std::string, size_t> index;
  for (const auto& n : nodes) {
    scheduler::NodeSnapshot s;
    s.id = n.id;
    s.level = *scheduler::parse_level(model::to_string(n.level));
    s.state = *scheduler::parse_node_state(model::to_string(n.state));
    s.arch = n.facts.arch;
    s.parent = n.parent;
    s.capacity = {int64_t{n.facts.cores} * 1000, static_cast<int64_t>(n.facts.memory_bytes),
                  static_cast<int64_t>(n.facts.gpus.size())};
    s.labels = n.labels;
    s.labels[std::string(kNodeLabel)] = n.id;
    // The runtime's driver names; the scheduler's own `bwrap` flag stays unused.
    s.drivers = {"builtin", "exec"};
    if (n.facts.has_bubblewrap) s.drivers.push_back("sandbox");
    if (n.facts.can_run_containers) s.drivers.push_back("oci");
    index[n.id] = out.size();
    out.push_back(std::move(s));
  }
  for (const auto& inst : placed) {
    auto it = index.find(inst.node_id);
    if (it == index.end() || inst.deployment == exclude_deployment || inst.state == InstanceState::deleted) continue;
    scheduler::NodeSnapshot& s = out[it->second];
    if (!inst.spec) continue;
    s.allocated.cpu_millis += static_cast<int64_t>(inst.spec->resources.cpu * 1000);
    s.allocated.memory_bytes += static_cast<int64_t>(inst.spec->resources.memory_bytes);
    s.tasks.push_back({inst.task_id, inst.deployment, inst.name, {}});
    if (inst.spec->builtin == "iotwins.nodes.Service.MQTTBroker" && !chain_has(s.services, "broker")) s.services.push_back("broker");
    if (inst.spec->builtin == "iotwins.nodes.Service.TimeSeriesStore" && !chain_has(s.services, "store")) s.services.push_back("store");
  }
  return out;
}

}  // namespace iotwins::orchestrator
