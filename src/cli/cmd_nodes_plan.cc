// iotwins nodes plan FILE: a dry run of the scheduler. FILE holds placement requests and,
// optionally, nodes and a scheduler config; without nodes, the server's live nodes are used.
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/client.h"
#include "cli/command.h"
#include "cli/nodes.h"
#include "scheduler/loader.h"
#include "scheduler/scheduler.h"

namespace iotwins::cli {
namespace {

scheduler::NodeSnapshot snapshot_of(const nlohmann::json& n) {
  scheduler::NodeSnapshot s;
  s.id = n.value("id", "");
  auto level = n.value("level", "edge");
  s.level = level == "iot" ? scheduler::Level::iot : level == "cloud" ? scheduler::Level::cloud : scheduler::Level::edge;
  auto state = n.value("state", "ready");
  s.state = state == "unreachable" ? scheduler::NodeState::unreachable
            : state == "draining"  ? scheduler::NodeState::draining
            : state == "down"      ? scheduler::NodeState::down
                                   : scheduler::NodeState::ready;
  s.parent = n.value("parent", "");
  const auto& f = n["facts"];
  s.arch = f.value("arch", "");
  s.capacity.cpu_millis = int64_t{f.value("cores", 0)} * 1000;
  s.capacity.memory_bytes = static_cast<int64_t>(f.value("memory_bytes", uint64_t{0}));
  s.capacity.gpus = static_cast<int64_t>(f.value("gpus", nlohmann::json::array()).size());
  s.has_oci = f.value("can_run_containers", false);
  s.has_bubblewrap = f.value("has_bubblewrap", false);
  s.drivers = {"builtin", "exec"};
  for (auto it = n["labels"].begin(); it != n["labels"].end(); ++it) s.labels[it.key()] = it.value();
  return s;
}

}  // namespace

int run_nodes_plan(const Config& config, const std::string& file) {
  auto input = scheduler::load_plan_input(file);
  if (!input) return report("nodes plan", input.error());
  if (input->nodes.empty()) {
    auto client = make_client(config);
    if (!client) return report("nodes plan", client.error());
    auto r = call(**client, api::Method::GET, "/api/v1/nodes");
    if (!r) return report("nodes plan", r.error());
    for (const auto& n : (*r)["items"]) input->nodes.push_back(snapshot_of(n));
    std::printf("planning %zu requests on the %zu live nodes of %s\n", input->requests.size(),
                input->nodes.size(), (*client)->base_url().c_str());
  } else {
    std::printf("planning %zu requests on the %zu nodes of %s\n", input->requests.size(), input->nodes.size(),
                file.c_str());
  }
  auto plan = scheduler::plan(input->nodes, input->requests, input->config);
  if (!plan) return report("nodes plan", plan.error());
  std::fputs(scheduler::describe(*plan).c_str(), stdout);
  return plan->failures.empty() ? 0 : 1;
}

}  // namespace iotwins::cli
