#include "scheduler/loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "fixtures.h"
#include "scheduler/scheduler.h"

namespace iotwins::scheduler {
namespace {

using namespace testing_support;

constexpr const char* kPlan = R"yaml(config:
  strategy: spread
  seed: 9
  near_weight: 2.5
  exhaustive_limit: 100
  sample_feasible: 0
nodes:
  - id: cloud-1
    level: cloud
    arch: x86_64
    capacity: {cpu: 16, memory: 64Gi, gpus: 1}
    services: [store]
  - id: edge-1
    level: edge
    state: ready
    arch: aarch64
    parent: cloud-1
    capacity: {cpu: 4000m, memory: 8Gi}
    allocated: {cpu: 500m, memory: 1Gi}
    labels: {zone: a, site: plant-1}
    has_oci: true
    has_bubblewrap: true
    drivers: [exec]
    twins: [press-1]
    tasks:
      - {id: old-1, deployment: d0, group: g0, labels: {app: db}}
  - id: edge-2
    level: edge
    state: draining
    capacity: {cpu: 4, memory: 8Gi}
requests:
  - id: filter-1
    deployment: d1
    group: filter
    level: edge
    resources: {cpu: 250m, memory: 256Mi}
    arch: aarch64
    selector: ["zone in (a,b)", "!maintenance"]
    drivers: [oci]
    labels: {app: filter}
    affinity:
      - {group: g0, labels: ["app=db"], anti: false, required: false, weight: 40}
      - {deployment: d1, group: filter, anti: true, required: true}
    spread: {key: zone, weight: 60}
    near: {twin: press-1, scope: node, required: true}
  - id: train-1
    resources: {cpu: 8, memory: 32Gi, gpus: 1}
    near: {service: store}
)yaml";

TEST(Loader, EveryFieldOfNodesRequestsAndConfig) {
  auto in = parse_plan_input(kPlan, "plan.yaml");
  ASSERT_TRUE(in) << in.error().to_string();
  EXPECT_EQ(in->config.strategy, Strategy::spread);
  EXPECT_EQ(in->config.seed, 9u);
  EXPECT_DOUBLE_EQ(in->config.near_weight, 2.5);
  EXPECT_DOUBLE_EQ(in->config.fit_weight, 1.0);
  EXPECT_EQ(in->config.exhaustive_limit, 100u);
  EXPECT_EQ(in->config.sample_feasible, 0u);
  ASSERT_EQ(in->nodes.size(), 3u);

  NodeSnapshot edge;
  edge.id = "edge-1";
  edge.level = Level::edge;
  edge.arch = "aarch64";
  edge.parent = "cloud-1";
  edge.capacity = {4000, 8 * kGi, 0};
  edge.allocated = {500, kGi, 0};
  edge.labels = {{"zone", "a"}, {"site", "plant-1"}};
  edge.has_oci = true;
  edge.has_bubblewrap = true;
  edge.drivers = {"exec"};
  edge.twins = {"press-1"};
  edge.tasks = {{"old-1", "d0", "g0", {{"app", "db"}}}};
  EXPECT_EQ(in->nodes[1], edge);
  EXPECT_EQ(in->nodes[0].capacity, (Resources{16000, 64 * kGi, 1}));
  EXPECT_EQ(in->nodes[0].services, std::vector<std::string>{"store"});
  EXPECT_EQ(in->nodes[2].state, NodeState::draining);

  PlacementRequest filter;
  filter.id = "filter-1";
  filter.deployment = "d1";
  filter.group = "filter";
  filter.level = Level::edge;
  filter.resources = {250, 256ll << 20, 0};
  filter.arch = "aarch64";
  filter.selector = {req("zone in (a,b)"), req("!maintenance")};
  filter.drivers = {"oci"};
  filter.task_labels = {{"app", "filter"}};
  filter.affinity = {AffinityTerm{{"", "g0", {req("app=db")}}, false, false, 40},
                     AffinityTerm{{"d1", "filter", {}}, true, true, 50}};
  filter.spread = Spread{"zone", 60};
  filter.near = Near{Near::Kind::twin, "press-1", Near::Scope::node, true};
  ASSERT_EQ(in->requests.size(), 2u);
  EXPECT_EQ(in->requests[0], filter);
  EXPECT_EQ(in->requests[1].near, (Near{Near::Kind::service, "store", Near::Scope::subtree, false}));
  EXPECT_FALSE(in->requests[1].level.has_value());

  auto plan = scheduler::plan(in->nodes, in->requests, in->config);
  ASSERT_TRUE(plan) << plan.error().to_string();
  EXPECT_EQ(describe(*plan).substr(0, 20), "filter-1 -> edge-1 (");
  ASSERT_EQ(plan->assignments.size(), 2u);
  EXPECT_EQ(plan->assignments[1].node_id, "cloud-1");
}

TEST(Loader, JsonIsAcceptedToo) {
  auto in = parse_plan_input(R"({"nodes": [{"id": "n1", "level": "iot", "capacity": {"cpu": "1", "memory": 1024}}],
                                 "requests": [{"id": "t", "resources": {"cpu": "100m"}}]})");
  ASSERT_TRUE(in) << in.error().to_string();
  EXPECT_EQ(in->nodes[0].capacity, (Resources{1000, 1024, 0}));
  EXPECT_EQ(in->requests[0].resources.cpu_millis, 100);
}

struct BadCase {
  const char* text;
  const char* error;
};

TEST(Loader, ErrorsSayWhereAndWhat) {
  const BadCase cases[] = {
      {"nodes: []\nrequests:\n  - id: t\n    resources: {memory: 1Qi}\n",
       "plan.yaml:4:25: requests[0].resources.memory: bad quantity '1Qi'"},
      {"nodes:\n  - id: n\n    level: fog\n    capacity: {}\nrequests: []\n",
       "plan.yaml:3:12: nodes[0].level: level must be iot, edge or cloud, got 'fog'"},
      {"nodes:\n  - id: n\n    level: edge\n    capacity: {}\n    lables: {}\nrequests: []\n",
       "plan.yaml:5:5: nodes[0]: unknown field 'lables'"},
      {"nodes:\n  - level: edge\nrequests: []\n", "plan.yaml:2:5: nodes[0]: missing id"},
      {"nodes: []\nrequests:\n  - id: t\n    selector: [\"zone in a\"]\n",
       "plan.yaml:4:16: requests[0].selector[0]: label requirement 'zone in a': bad key 'zone in a' (letters, digits, . _ - /)"},
      {"nodes: []\nrequests:\n  - id: t\n    near: {twin: a, service: b}\n",
       "plan.yaml:4:11: requests[0].near: give exactly one of twin, service"},
      {"nodes: []\nrequests:\n  - id: t\n    affinity: [{group: g, weight: 500}]\n",
       "plan.yaml:4:35: requests[0].affinity[0].weight: expected an integer in 1..100, got '500'"},
      {"nodes: []\n", "plan.yaml:1:1: requests: expected a list of requests"},
      {"nodes: [\n", "plan.yaml:2:1: end of sequence flow not found"},
      {"config: {strategy: random}\nnodes: []\nrequests: []\n",
       "plan.yaml:1:20: config.strategy: strategy must be binpack or spread, got 'random'"},
  };
  for (const BadCase& c : cases) {
    auto in = parse_plan_input(c.text, "plan.yaml");
    ASSERT_FALSE(in) << c.text;
    EXPECT_EQ(in.error().code(), Errc::invalid_argument);
    EXPECT_EQ(in.error().message(), c.error) << c.text;
  }
}

TEST(Loader, FileAndSizeLimit) {
  const std::string path = ::testing::TempDir() + "plan-" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(path) << kPlan;
  auto in = load_plan_input(path);
  ASSERT_TRUE(in) << in.error().to_string();
  EXPECT_EQ(in->requests.size(), 2u);
  std::remove(path.c_str());
  EXPECT_EQ(load_plan_input(path).error().code(), Errc::not_found);
  std::string huge(kMaxPlanInputBytes + 1, ' ');
  EXPECT_EQ(parse_plan_input(huge).error().code(), Errc::too_large);
}

}  // namespace
}  // namespace iotwins::scheduler
