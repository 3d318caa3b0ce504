// The planner: placement units, TaskSpecs, dependency layers and stream wiring, on the factory
// chain and small templates, with real TOSCA validation and the real scheduler.
#include <gtest/gtest.h>

#include <algorithm>

#include "fixtures.h"
#include "orchestrator/planner.h"
#include "tosca/validate.h"

namespace iotwins::orchestrator {
namespace {

using testing::factory_yaml;
using testing::three_levels;

std::shared_ptr<const tosca::InstanceModel> model_of(const std::string& yaml) {
  auto report = tosca::validate(tosca::Source::from_text(yaml, "<test>"));
  EXPECT_TRUE(report.ok()) << report.to_text();
  return report.instance;
}

DeploymentPlan plan_of(const std::string& yaml, const std::vector<model::Node>& nodes,
                       std::map<std::string, std::string> previous = {}) {
  auto model = model_of(yaml);
  PlanInput in{model.get(), "dep-1", node_snapshots(nodes, {}, ""), std::move(previous)};
  auto plan = plan_deployment(in);
  EXPECT_TRUE(plan) << plan.error().to_string();
  return plan ? *plan : DeploymentPlan{};
}

const NodeInstance& instance(const DeploymentPlan& plan, const std::string& name, int index = 0) {
  for (const auto& n : plan.instances) {
    if (n.name == name && n.index == index) return n;
  }
  static NodeInstance none;
  ADD_FAILURE() << "no instance " << name;
  return none;
}

int layer_of(const DeploymentPlan& plan, const std::string& name) {
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    if (std::find(plan.layers[i].begin(), plan.layers[i].end(), name) != plan.layers[i].end()) return static_cast<int>(i);
  }
  return -1;
}

bool has(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

TEST(Planner, FactoryChainIsValidAndPlacedByLevel) {
  auto plan = plan_of(factory_yaml(), three_levels());
  EXPECT_TRUE(plan.failures.empty()) << plan.explanation();
  EXPECT_EQ(instance(plan, "vibration_filter").node_id.substr(0, 4), "iot-");
  EXPECT_EQ(instance(plan, "anomaly_detector").node_id, "edge-1");  // the only plant-1 gateway
  EXPECT_EQ(instance(plan, "broker").node_id, "edge-1");
  EXPECT_EQ(instance(plan, "trainer").node_id.substr(0, 6), "cloud-");
  // One Compute is one machine: everything hosted on `cloud` lands on the same node.
  EXPECT_EQ(instance(plan, "simulator").node_id, instance(plan, "trainer").node_id);
  EXPECT_EQ(instance(plan, "history").node_id, instance(plan, "trainer").node_id);
  EXPECT_TRUE(instance(plan, "press_twin").node_id.empty());  // logical: placed nowhere
  EXPECT_FALSE(instance(plan, "press_twin").spec.has_value());
}

TEST(Planner, LayersFollowDependenciesAndStreams) {
  auto plan = plan_of(factory_yaml(), three_levels());
  EXPECT_EQ(layer_of(plan, "cloud"), 0);
  EXPECT_LT(layer_of(plan, "plant_gateway"), layer_of(plan, "broker"));
  EXPECT_LT(layer_of(plan, "broker"), layer_of(plan, "anomaly_detector"));
  // StreamsTo: the receiving task is deployed first.
  EXPECT_LT(layer_of(plan, "anomaly_detector"), layer_of(plan, "vibration_filter"));
  EXPECT_LT(layer_of(plan, "trainer"), layer_of(plan, "anomaly_detector"));
  EXPECT_LT(layer_of(plan, "trainer"), layer_of(plan, "simulator"));
  // Instances are listed in layer order.
  for (size_t i = 1; i < plan.instances.size(); ++i) EXPECT_LE(plan.instances[i - 1].layer, plan.instances[i].layer);
}

TEST(Planner, TaskSpecsAreWhatTheRuntimeRuns) {
  auto plan = plan_of(factory_yaml(), three_levels());
  const auto& f = instance(plan, "vibration_filter");
  ASSERT_TRUE(f.spec);
  EXPECT_EQ(f.task_id, "dep-1.vibration_filter.0");
  EXPECT_EQ(f.spec->id, f.task_id);
  EXPECT_EQ(f.spec->deployment, "dep-1");
  EXPECT_EQ(f.spec->driver, "builtin");
  EXPECT_EQ(f.spec->builtin, "iotwins.nodes.Task.DataFilter");
  EXPECT_NE(f.spec->config_json.find("\"expression\":\"abs(vibration) > 0.2\""), std::string::npos) << f.spec->config_json;
  EXPECT_EQ(f.spec->config_json.find("resources"), std::string::npos);
  EXPECT_DOUBLE_EQ(f.spec->resources.cpu, 0.2);
  EXPECT_EQ(f.spec->resources.memory_bytes, 32u << 20);
  EXPECT_EQ(f.spec->restart.mode, runtime::RestartMode::always);  // the QoS policy
  EXPECT_EQ(f.spec->restart.max_restarts, 10);
  EXPECT_EQ(instance(plan, "trainer").spec->restart.mode, runtime::RestartMode::on_failure);
  EXPECT_EQ(instance(plan, "broker").spec->builtin, "iotwins.nodes.Service.MQTTBroker");
  for (const auto& n : plan.instances) {
    if (n.spec) {
      EXPECT_TRUE(runtime::validate_task_spec(*n.spec)) << n.name;
    }
  }
}

TEST(Planner, StreamsToBecomesInputsAndOutputsByTransport) {
  auto plan = plan_of(factory_yaml(), three_levels());
  const auto& filter = *instance(plan, "vibration_filter").spec;
  const auto& detector = *instance(plan, "anomaly_detector").spec;
  const auto& trainer = *instance(plan, "trainer").spec;
  const auto& simulator = *instance(plan, "simulator").spec;
  // IoT → edge and edge → cloud cross nodes: the data plane; the topic names the stream.
  EXPECT_EQ(filter.outputs, std::vector<std::string>{"dataplane:press-17/filtered"});
  EXPECT_EQ(detector.inputs, std::vector<std::string>{"dataplane:press-17/filtered"});
  EXPECT_EQ(detector.outputs, std::vector<std::string>{"dataplane:dep-1.anomaly_detector.trainer"});
  // Two builtin tasks on one node exchange records in-process.
  EXPECT_EQ(simulator.outputs, std::vector<std::string>{"inproc:dep-1.simulator.trainer"});
  EXPECT_TRUE(has(trainer.inputs, "inproc:dep-1.simulator.trainer"));
  EXPECT_TRUE(has(trainer.inputs, "dataplane:dep-1.anomaly_detector.trainer"));
}

// A template importing the iotwins profile, around `body` (the node templates and what follows).
std::string chain(const std::string& body) {
  return "tosca_definitions_version: tosca_simple_yaml_1_3\nimports: [iotwins]\ntopology_template:\n"
         "  node_templates:\n" + body;
}

const std::string kOciTask = chain(R"(
    box: {type: iotwins.nodes.Compute, properties: {level: cloud}}
    exporter:
      type: iotwins.nodes.Task.Custom
      properties: {args: [--format, csv]}
      artifacts:
        image: {type: iotwins.artifacts.Image, file: registry.example.org/exporter:1.4}
      requirements: [{host: box}]
)");

TEST(Planner, OciTasksGoOnlyWhereContainersRun) {
  auto nodes = three_levels();
  auto plan = plan_of(kOciTask, nodes);
  ASSERT_EQ(plan.failures.size(), 1u);
  EXPECT_NE(plan.failures[0].explanation.find("2 nodes: "), std::string::npos) << plan.failures[0].explanation;
  EXPECT_NE(plan.failures[0].explanation.find("driver"), std::string::npos) << plan.failures[0].explanation;

  testing::find(nodes, "cloud-2")->facts.can_run_containers = true;
  plan = plan_of(kOciTask, nodes);
  ASSERT_TRUE(plan.failures.empty()) << plan.explanation();
  const auto& e = instance(plan, "exporter");
  EXPECT_EQ(e.node_id, "cloud-2");
  EXPECT_EQ(e.spec->driver, "oci");
  EXPECT_EQ(e.spec->image, "registry.example.org/exporter:1.4");
  EXPECT_EQ(e.spec->args, (std::vector<std::string>{"--format", "csv"}));
}

TEST(Planner, SnapshotsUseTheRuntimeDriverNames) {
  auto snaps = node_snapshots(three_levels(), {}, "");
  for (const auto& s : snaps) {
    EXPECT_TRUE(has(s.drivers, "builtin") && has(s.drivers, "exec")) << s.id;
    EXPECT_EQ(has(s.drivers, "sandbox"), s.level == scheduler::Level::cloud) << s.id;
    EXPECT_FALSE(has(s.drivers, "bwrap"));
    EXPECT_FALSE(s.has_bubblewrap);  // the scheduler's own name for it stays unused
    EXPECT_EQ(s.labels.at(std::string(kNodeLabel)), s.id);
  }
}

TEST(Planner, UnplaceableUnitsComeWithTheSchedulersReasons) {
  std::string yaml = factory_yaml();
  yaml.replace(yaml.find("cpu: 4, memory: 8 GiB"), 21, "cpu: 64, memory: 8 GiB");
  auto plan = plan_of(yaml, three_levels());
  ASSERT_EQ(plan.failures.size(), 1u);
  EXPECT_EQ(plan.failures[0].request_id, "cloud");
  EXPECT_NE(plan.explanation().find("2 nodes: insufficient cpu"), std::string::npos) << plan.explanation();
  EXPECT_NE(plan.explanation().find("level mismatch"), std::string::npos) << plan.explanation();
  EXPECT_TRUE(instance(plan, "trainer").node_id.empty());
}

TEST(Planner, PreviousPlacementsStickWhileTheyFit) {
  auto first = plan_of(factory_yaml(), three_levels());
  std::map<std::string, std::string> previous;
  for (const auto& n : first.instances) {
    if (!n.unit.empty()) previous[n.unit] = n.node_id;
  }
  // Whichever cloud node was chosen, pin to the other one and it stays there.
  std::string other = previous["cloud"] == "cloud-1" ? "cloud-2" : "cloud-1";
  previous["cloud"] = other;
  auto again = plan_of(factory_yaml(), three_levels(), previous);
  EXPECT_EQ(instance(again, "trainer").node_id, other);
  // A previous node that is gone does not hold the unit back.
  previous["cloud"] = "cloud-9";
  again = plan_of(factory_yaml(), three_levels(), previous);
  EXPECT_EQ(instance(again, "trainer").node_id.substr(0, 6), "cloud-");
  EXPECT_TRUE(again.failures.empty());
}

TEST(Planner, ScaledHostlessTasksArePlacedPerReplica) {
  auto plan = plan_of(chain(R"(
    any: {type: iotwins.nodes.Compute, properties: {level: iot}}
    scorer:
      type: iotwins.nodes.Task.Inference
      properties: {model: m, replicas: 3, resources: {cpu: 0.5, memory: 64 MiB}}
  policies:
    - in_cloud: {type: iotwins.policies.Placement, properties: {level: cloud}, targets: [scorer]}
)"),
                      three_levels());
  ASSERT_TRUE(plan.failures.empty()) << plan.explanation();
  for (int k = 0; k < 3; ++k) {
    const auto& s = instance(plan, "scorer", k);
    EXPECT_EQ(s.unit, "scorer#" + std::to_string(k));
    EXPECT_EQ(s.node_id.substr(0, 6), "cloud-") << "the implicit host (an iot Compute) does not pin it";
    EXPECT_EQ(s.task_id, "dep-1.scorer." + std::to_string(k));
  }
}

TEST(Planner, BadTaskDefinitionsAreErrorsNamingTheNode) {
  auto model = model_of(chain(R"(
    box: {type: iotwins.nodes.Compute, properties: {level: edge}}
    tool:
      type: iotwins.nodes.Task.Custom
      artifacts:
        bin: {type: iotwins.artifacts.Executable, file: tools/run.sh}
      requirements: [{host: box}]
)"));
  PlanInput in{model.get(), "dep-1", node_snapshots(three_levels(), {}, ""), {}};
  auto plan = plan_deployment(in);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code(), Errc::invalid_argument);
  EXPECT_NE(plan.error().message().find("node template tool: artifact bin"), std::string::npos) << plan.error().message();
}

}  // namespace
}  // namespace iotwins::orchestrator
