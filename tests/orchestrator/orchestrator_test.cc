// The orchestrator: create in dependency order, refusals, agent events and states, outputs, the
// desired-set observer, JSON bodies, corrupt rows.
#include <nlohmann/json.hpp>

#include "orchestrator/json.h"
#include "orchestrator_fixture.h"

namespace iotwins::orchestrator::testing {
namespace {

TEST_F(OrchestratorTest, CreateReleasesTasksInDependencyOrderUntilComplete) {
  auto d = create(factory_yaml());
  EXPECT_EQ(d.id, "dep-1");
  EXPECT_EQ(d.status(), "CREATE_IN_PROGRESS");
  // Layer 1 only: the broker at the edge, the store in the cloud. Nothing waits on the IoT node yet.
  std::string cloud = instance(d.id, "trainer").node_id;
  EXPECT_EQ(task_ids("edge-1"), std::vector<std::string>{"dep-1.broker.0"});
  EXPECT_EQ(task_ids(cloud), std::vector<std::string>{"dep-1.history.0"});
  EXPECT_TRUE(task_ids(instance(d.id, "vibration_filter").node_id).empty());
  EXPECT_EQ(instance(d.id, "press_twin").state, InstanceState::started);
  EXPECT_EQ(instance(d.id, "trainer").state, InstanceState::initial);

  auto order = start_everything(d.id);
  EXPECT_EQ(get(d.id).status(), "CREATE_COMPLETE");
  ASSERT_EQ(order.size(), 6u);
  EXPECT_LT(pos(order, "dep-1.history.0"), pos(order, "dep-1.trainer.0"));
  EXPECT_LT(pos(order, "dep-1.trainer.0"), pos(order, "dep-1.anomaly_detector.0"));
  EXPECT_LT(pos(order, "dep-1.broker.0"), pos(order, "dep-1.anomaly_detector.0"));
  EXPECT_LT(pos(order, "dep-1.anomaly_detector.0"), pos(order, "dep-1.vibration_filter.0"));
  EXPECT_EQ(orch_->desired(cloud)->tasks.size(), 3u);  // history, trainer, simulator
  auto all = *orch_->instances(d.id);
  for (const auto& n : all) EXPECT_EQ(n.state, InstanceState::started) << n.name;

  auto events = *orch_->events(d.id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().kind, "planned");
  EXPECT_EQ(events.back().message, "CREATE_COMPLETE");
}

TEST_F(OrchestratorTest, InvalidTemplateIsRefusedAndNothingIsStored) {
  auto d = orch_->create("tosca_definitions_version: tosca_simple_yaml_1_3\ntopology_template:\n  node_templates:\n"
                         "    x: {type: NoSuchType}\n");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), Errc::invalid_argument);
  EXPECT_NE(d.error().message().find("unknown_type"), std::string::npos) << d.error().message();
  auto bad_input = orch_->create(factory_yaml(), R"({"threshold": 7})");
  ASSERT_FALSE(bad_input);
  EXPECT_NE(bad_input.error().message().find("threshold"), std::string::npos);
  EXPECT_TRUE(orch_->list()->empty());
}

TEST_F(OrchestratorTest, UnplaceableTemplateFailsWithReasonsPerFilter) {
  auto d = create(factory_yaml(), R"({"plant": "plant-9"})");
  EXPECT_EQ(d.status(), "CREATE_FAILED");
  EXPECT_TRUE(d.reason.starts_with("cannot place: no node fits")) << d.reason;
  EXPECT_NE(d.reason.find("plant_gateway"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("nodes: level mismatch"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("2 nodes: node labels do not match"), std::string::npos) << d.reason;
  for (const auto& n : nodes_) EXPECT_TRUE(task_ids(n.id).empty()) << n.id;
  // The reconciler leaves it failed.
  ASSERT_TRUE(orch_->reconcile());
  EXPECT_EQ(get(d.id).status(), "CREATE_FAILED");
  EXPECT_EQ(orch_->events(d.id)->back().kind, "placement_failed");
}

TEST_F(OrchestratorTest, AgentEventsDriveInstanceAndDeploymentStatus) {
  auto d = running_factory();
  // A restart is not a failure; a restart storm is, with the reason.
  report("edge-1", "dep-1.anomaly_detector.0", K::exited, "exited with code 3");
  EXPECT_EQ(instance(d.id, "anomaly_detector").state, InstanceState::starting);
  EXPECT_EQ(get(d.id).status(), "CREATE_IN_PROGRESS");
  report("edge-1", "dep-1.anomaly_detector.0", K::restart_storm, "11 restarts within 300 s");
  EXPECT_EQ(instance(d.id, "anomaly_detector").state, InstanceState::error);
  auto failed = get(d.id);
  EXPECT_EQ(failed.status(), "CREATE_FAILED");
  EXPECT_EQ(failed.reason, "anomaly_detector[0] on edge-1: restart_storm: 11 restarts within 300 s");
  // Still in the desired set: the agent keeps it (failed) until the template changes.
  EXPECT_TRUE(contains(task_ids("edge-1"), "dep-1.anomaly_detector.0"));
  report("edge-1", "dep-1.anomaly_detector.0", K::started);
  EXPECT_EQ(get(d.id).status(), "CREATE_COMPLETE");
  EXPECT_TRUE(get(d.id).reason.empty());
  // Reports from a node the task is not placed on, or about unknown tasks, change nothing.
  report("edge-2", "dep-1.anomaly_detector.0", K::start_failed, "not mine");
  report("edge-1", "dep-7.nothing.0", K::start_failed, "unknown");
  EXPECT_EQ(get(d.id).status(), "CREATE_COMPLETE");
}

TEST_F(OrchestratorTest, AgentStatesAreLevelTriggered) {
  auto d = create(factory_yaml());
  std::string cloud = instance(d.id, "history").node_id;
  auto statuses = [&](const std::string& node, runtime::TaskState state, std::string last_error = "") {
    std::vector<runtime::TaskStatus> out;
    auto set = *orch_->desired(node);
    for (const auto& spec : set.tasks) out.push_back({spec, state, {}, 0, last_error});
    return out;
  };
  ASSERT_TRUE(orch_->report_states("edge-1", statuses("edge-1", runtime::TaskState::running)));
  ASSERT_TRUE(orch_->report_states(cloud, statuses(cloud, runtime::TaskState::running)));
  EXPECT_EQ(instance(d.id, "broker").state, InstanceState::started);
  EXPECT_EQ(instance(d.id, "trainer").state, InstanceState::starting);  // the next layer, released
  // The same report again changes nothing.
  auto n_events = orch_->events(d.id)->size();
  ASSERT_TRUE(orch_->report_states("edge-1", statuses("edge-1", runtime::TaskState::running)));
  EXPECT_EQ(orch_->events(d.id)->size(), n_events);
  // A spec the agent runs that is not the planned one says nothing about the planned one.
  auto old = statuses(cloud, runtime::TaskState::running);
  old[1].spec.args = {"--old"};
  ASSERT_TRUE(orch_->report_states(cloud, old));
  EXPECT_EQ(instance(d.id, "trainer").state, InstanceState::starting);
  ASSERT_TRUE(orch_->report_states(cloud, statuses(cloud, runtime::TaskState::failed, "restart storm: 6 restarts")));
  EXPECT_EQ(get(d.id).status(), "CREATE_FAILED");
  EXPECT_NE(get(d.id).reason.find("restart storm: 6 restarts"), std::string::npos);

  // Delete: confirmed by the agent no longer listing the tasks.
  ASSERT_TRUE(orch_->remove(d.id));
  ASSERT_TRUE(orch_->report_states("edge-1", {}));
  EXPECT_EQ(get(d.id).status(), "DELETE_IN_PROGRESS");
  ASSERT_TRUE(orch_->report_states(cloud, {}));
  EXPECT_EQ(get(d.id).status(), "DELETE_COMPLETE");
}

TEST_F(OrchestratorTest, TaskWithRestartNeverFailsWhenItExits) {
  std::string yaml = factory_yaml();
  yaml.replace(yaml.find("restart: always"), 15, "restart: never");
  auto d = create(yaml);
  start_everything(d.id);
  report("edge-1", "dep-1.anomaly_detector.0", K::exited, "exited with code 1");
  EXPECT_EQ(get(d.id).status(), "CREATE_FAILED");
  EXPECT_NE(get(d.id).reason.find("exited with code 1"), std::string::npos);
}

TEST_F(OrchestratorTest, OutputsComeFromLiveAttributes) {
  auto d = create(factory_yaml());
  auto outs = *orch_->outputs(d.id);
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(outs[0].name, "detector_endpoint");
  EXPECT_FALSE(outs[0].value.has_value());
  EXPECT_EQ(orch_->set_attributes("cloud-1", "dep-1.anomaly_detector.0", {{"endpoint", "x"}}).error().code(),
            Errc::permission_denied);
  ASSERT_TRUE(orch_->set_attributes("edge-1", "dep-1.anomaly_detector.0", {{"endpoint", "tcp://10.0.0.7:7000"}}));
  outs = *orch_->outputs(d.id);
  ASSERT_TRUE(outs[0].value.has_value()) << outs[0].error;
  EXPECT_EQ(*outs[0].value, "tcp://10.0.0.7:7000");
  EXPECT_EQ(instance(d.id, "anomaly_detector").attributes.at("node"), "edge-1");
  EXPECT_EQ(orch_->set_attributes("edge-1", "dep-1.none.0", {{"a", "b"}}).error().code(), Errc::not_found);
}

TEST_F(OrchestratorTest, ObserverHearsEveryChangedNodeOnce) {
  std::map<std::string, int64_t> seen;
  std::map<std::string, size_t> sizes;
  // Called outside the orchestrator's lock: it may read the set it is told about (the watch does).
  orch_->on_desired_change([&](const std::string& node, int64_t rev) {
    EXPECT_GT(rev, seen[node]);
    seen[node] = rev;
    auto set = orch_->desired(node);
    ASSERT_TRUE(set);
    EXPECT_EQ(set->revision, rev);
    sizes[node] = set->tasks.size();
  });
  auto d = create(factory_yaml());
  EXPECT_EQ(seen.size(), 2u);  // edge-1 (broker) and the cloud node (history)
  EXPECT_EQ(seen["edge-1"], orch_->desired("edge-1")->revision);
  EXPECT_EQ(sizes["edge-1"], 1u);
  report("edge-1", "dep-1.broker.0", K::started);  // nothing released by it alone: no change
  EXPECT_EQ(seen["edge-1"], orch_->desired("edge-1")->revision);
  ASSERT_TRUE(orch_->remove(d.id));
  EXPECT_EQ(sizes["edge-1"], 0u);
}

TEST_F(OrchestratorTest, JsonForTheApi) {
  auto d = create(factory_yaml(), R"({"threshold": 0.5})");
  auto insts = *orch_->instances(d.id);
  auto outs = *orch_->outputs(d.id);
  auto j = nlohmann::json::parse(deployment_json({&d, &insts, &outs, false}));
  EXPECT_EQ(j["id"], "dep-1");
  EXPECT_EQ(j["status"], "CREATE_IN_PROGRESS");
  EXPECT_EQ(j["inputs"]["threshold"], 0.5);
  EXPECT_FALSE(j.contains("template"));
  EXPECT_EQ(j["instances"].size(), insts.size());
  EXPECT_TRUE(j["outputs"]["detector_endpoint"].is_null());
  auto broker = std::find_if(j["instances"].begin(), j["instances"].end(), [](auto& i) { return i["name"] == "broker"; });
  ASSERT_NE(broker, j["instances"].end());
  EXPECT_EQ((*broker)["node"], "edge-1");
  EXPECT_EQ((*broker)["state"], "starting");

  auto set = *orch_->desired("edge-1");
  auto w = nlohmann::json::parse(desired_json(set));
  EXPECT_EQ(w["revision"], set.revision);
  auto decoded = runtime::decode_task_specs(w["tasks"].dump());
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  EXPECT_EQ(*decoded, set.tasks);  // the agent decodes exactly what was planned

  auto e = nlohmann::json::parse(events_json(*orch_->events(d.id)));
  EXPECT_EQ(e[0]["kind"], "planned");
  EXPECT_EQ(e[0]["seq"], 1);
}

TEST_F(OrchestratorTest, CorruptRowsAreCorruptionNamingTheRow) {
  auto d = create(factory_yaml());
  ASSERT_TRUE(db_->execute("UPDATE orch_instances SET spec = '{\"id\": 7}' WHERE name = 'broker'"));
  auto set = orch_->desired("edge-1");
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code(), Errc::corruption);
  EXPECT_NE(set.error().message().find("desired set of edge-1"), std::string::npos) << set.error().message();
  auto insts = orch_->instances(d.id);
  ASSERT_FALSE(insts);
  EXPECT_NE(insts.error().message().find("instance dep-1/broker[0]: spec"), std::string::npos) << insts.error().message();
}

}  // namespace
}  // namespace iotwins::orchestrator::testing
