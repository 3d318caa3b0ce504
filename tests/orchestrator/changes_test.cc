// The orchestrator over time: updates (diff, rolling, refused), deletes, nodes going down or
// draining, and a restart of the server mid-deployment.
#include "orchestrator_fixture.h"

namespace iotwins::orchestrator::testing {
namespace {

TEST_F(OrchestratorTest, UpdateChangesOnlyWhatChanged) {
  auto d = running_factory();
  std::string cloud = instance(d.id, "trainer").node_id;
  auto edge_before = *orch_->desired("edge-1");
  auto cloud_before = *orch_->desired(cloud);
  auto iot_before = *orch_->desired(instance(d.id, "vibration_filter").node_id);

  auto u = orch_->update(d.id, factory_yaml(), R"({"threshold": 0.95})", get(d.id).revision);
  ASSERT_TRUE(u) << u.error().to_string();
  EXPECT_EQ(u->status(), "UPDATE_IN_PROGRESS");
  // Only the detector's spec changed (its threshold): only the edge node's set has a new revision.
  auto edge_after = *orch_->desired("edge-1");
  EXPECT_GT(edge_after.revision, edge_before.revision);
  EXPECT_EQ(orch_->desired(cloud)->revision, cloud_before.revision);
  EXPECT_EQ(orch_->desired(cloud)->tasks, cloud_before.tasks);
  EXPECT_EQ(orch_->desired(iot_before.node_id)->revision, iot_before.revision);
  EXPECT_EQ(instance(d.id, "trainer").state, InstanceState::started);
  EXPECT_EQ(instance(d.id, "anomaly_detector").state, InstanceState::starting);
  EXPECT_NE(instance(d.id, "anomaly_detector").spec->config_json.find("0.95"), std::string::npos);
  ASSERT_EQ(edge_after.tasks.size(), 2u);  // sorted by id: the detector, then the broker
  EXPECT_NE(edge_after.tasks[0], edge_before.tasks[0]);
  EXPECT_EQ(edge_after.tasks[1], edge_before.tasks[1]);  // the broker keeps its spec

  report("edge-1", "dep-1.anomaly_detector.0", K::started);
  EXPECT_EQ(get(d.id).status(), "UPDATE_COMPLETE");

  // A stale revision is a conflict and changes nothing.
  auto stale = orch_->update(d.id, factory_yaml(), "{}", u->revision);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), Errc::conflict);
  EXPECT_NE(get(d.id).inputs_json.find("0.95"), std::string::npos);
}

TEST_F(OrchestratorTest, UpdateRollsScaledTasksOneReplicaAtATime) {
  std::string yaml = factory_yaml();
  yaml.replace(yaml.find("model: press-anomaly\n"), 21, "model: press-anomaly\n        replicas: 3\n");
  auto d = create(yaml);
  start_everything(d.id);
  ASSERT_EQ(get(d.id).status(), "CREATE_COMPLETE");
  auto spec_of = [&](int i) { return *instance(d.id, "anomaly_detector", i).spec; };
  auto old0 = spec_of(0), old1 = spec_of(1), old2 = spec_of(2);

  ASSERT_TRUE(orch_->update(d.id, yaml, R"({"threshold": 0.5})"));
  // Replica 0 gets its new spec; 1 and 2 keep running the old one meanwhile.
  EXPECT_NE(spec_of(0), old0);
  EXPECT_EQ(spec_of(1), old1);
  EXPECT_EQ(spec_of(2), old2);
  EXPECT_EQ(instance(d.id, "anomaly_detector", 1).state, InstanceState::started);
  auto edge = *orch_->desired("edge-1");
  EXPECT_EQ(edge.tasks.size(), 4u);  // three replicas (none stopped) and the broker

  report("edge-1", "dep-1.anomaly_detector.0", K::started);
  EXPECT_NE(spec_of(1), old1);
  EXPECT_EQ(spec_of(2), old2);
  EXPECT_EQ(get(d.id).status(), "UPDATE_IN_PROGRESS");
  // A replica that fails stops the roll: the last one keeps its old spec.
  report("edge-1", "dep-1.anomaly_detector.1", K::start_failed, "model not found");
  EXPECT_EQ(spec_of(2), old2);
  EXPECT_EQ(get(d.id).status(), "UPDATE_FAILED");
  report("edge-1", "dep-1.anomaly_detector.1", K::started);
  EXPECT_NE(spec_of(2), old2);
  // The filter (a later layer, unchanged) was never touched.
  EXPECT_EQ(instance(d.id, "vibration_filter").state, InstanceState::started);
  report("edge-1", "dep-1.anomaly_detector.2", K::started);
  EXPECT_EQ(get(d.id).status(), "UPDATE_COMPLETE");
  bool any_pending = false;
  auto all = *orch_->instances(d.id);
  for (const auto& n : all) any_pending = any_pending || n.next_spec.has_value();
  EXPECT_FALSE(any_pending);
  auto s0 = spec_of(0), s1 = spec_of(1);
  s1.id = s0.id;
  EXPECT_EQ(s0, s1);
}

TEST_F(OrchestratorTest, UnplaceableUpdateKeepsWhatRuns) {
  auto d = running_factory();
  auto before = *orch_->instances(d.id);
  auto u = orch_->update(d.id, factory_yaml(), R"({"plant": "plant-9"})");
  ASSERT_TRUE(u) << u.error().to_string();
  EXPECT_EQ(u->status(), "UPDATE_FAILED");
  EXPECT_NE(u->reason.find("no node fits"), std::string::npos);
  auto after = *orch_->instances(d.id);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].node_id, before[i].node_id);
    EXPECT_EQ(after[i].state, before[i].state);
  }
  EXPECT_EQ(get(d.id).inputs_json, "{}");
}

TEST_F(OrchestratorTest, DeleteEmptiesTheDesiredSetsThenCompletes) {
  auto d = running_factory();
  std::string cloud = instance(d.id, "trainer").node_id;
  int64_t rev = orch_->desired(cloud)->revision;
  auto r = orch_->remove(d.id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), "DELETE_IN_PROGRESS");
  for (const auto& n : nodes_) EXPECT_TRUE(task_ids(n.id).empty()) << n.id;
  EXPECT_GT(orch_->desired(cloud)->revision, rev);
  auto all = *orch_->instances(d.id);
  for (const auto& n : all) {
    if (n.task_id.empty()) continue;
    report(n.node_id, n.task_id, K::stopped);
  }
  EXPECT_EQ(get(d.id).status(), "DELETE_COMPLETE");
  EXPECT_FALSE(orch_->update(d.id, factory_yaml(), "{}"));
}

TEST_F(OrchestratorTest, DeleteCompletesWhenTheNodeOfATaskIsDownOrGone) {
  auto d = running_factory();
  std::string cloud = instance(d.id, "trainer").node_id;
  ASSERT_TRUE(orch_->remove(d.id));
  for (const std::string& node : {std::string("edge-1"), instance(d.id, "vibration_filter").node_id}) {
    auto all = *orch_->instances(d.id);
    for (const auto& t : all) {
      if (t.node_id == node && !t.task_id.empty()) report(node, t.task_id, K::stopped);
    }
  }
  EXPECT_EQ(get(d.id).status(), "DELETE_IN_PROGRESS");
  set_state(cloud, model::NodeState::unreachable);  // may still come back and stop them
  EXPECT_EQ(get(d.id).status(), "DELETE_IN_PROGRESS");
  set_state(cloud, model::NodeState::down);
  EXPECT_EQ(get(d.id).status(), "DELETE_COMPLETE");
}

TEST_F(OrchestratorTest, DeleteMidCreateDropsWhatWasNeverReleased) {
  auto d = create(factory_yaml());
  ASSERT_TRUE(orch_->remove(d.id));
  report("edge-1", "dep-1.broker.0", K::exited, "stopped by the agent");
  EXPECT_EQ(get(d.id).status(), "DELETE_IN_PROGRESS");  // the store is still being stopped
  report(instance(d.id, "history").node_id, "dep-1.history.0", K::stopped);
  EXPECT_EQ(get(d.id).status(), "DELETE_COMPLETE");
}

TEST_F(OrchestratorTest, NodeDownMovesItsTasksWhereTheyFit) {
  auto d = running_factory();
  std::string iot = instance(d.id, "vibration_filter").node_id;
  std::string other = sibling(iot);
  set_state(iot, model::NodeState::unreachable);  // not enough: tasks stay
  EXPECT_EQ(instance(d.id, "vibration_filter").node_id, iot);

  int64_t rev = orch_->desired(iot)->revision;
  set_state(iot, model::NodeState::down);
  auto f = instance(d.id, "vibration_filter");
  EXPECT_EQ(f.node_id, other);
  EXPECT_EQ(f.state, InstanceState::starting);
  EXPECT_EQ(instance(d.id, "sensor_box").node_id, other);
  EXPECT_TRUE(task_ids(iot).empty());
  EXPECT_GT(orch_->desired(iot)->revision, rev);
  EXPECT_EQ(task_ids(other), std::vector<std::string>{"dep-1.vibration_filter.0"});
  EXPECT_EQ(get(d.id).status(), "CREATE_IN_PROGRESS");
  report(other, "dep-1.vibration_filter.0", K::started);
  EXPECT_EQ(get(d.id).status(), "CREATE_COMPLETE");
  bool replaced = false;
  auto events = *orch_->events(d.id);
  for (const auto& e : events) replaced = replaced || (e.kind == "replaced" && e.message.find(other) != std::string::npos);
  EXPECT_TRUE(replaced);
  // A late report from the old node is ignored.
  report(iot, "dep-1.vibration_filter.0", K::start_failed, "gone");
  EXPECT_EQ(get(d.id).status(), "CREATE_COMPLETE");
}

TEST_F(OrchestratorTest, NodeDownWithNowhereToGoFailsWithTheReason) {
  auto d = running_factory();
  set_state("edge-1", model::NodeState::down);  // the only plant-1 gateway
  auto det = instance(d.id, "anomaly_detector");
  EXPECT_EQ(det.state, InstanceState::error);
  EXPECT_NE(det.reason.find("node edge-1 is down and no other node fits"), std::string::npos) << det.reason;
  EXPECT_NE(det.reason.find("label"), std::string::npos) << det.reason;
  EXPECT_EQ(get(d.id).status(), "CREATE_FAILED");
  // The rest of the chain is untouched.
  EXPECT_EQ(instance(d.id, "trainer").state, InstanceState::started);
  // Level-triggered: a second pass changes nothing and logs nothing new.
  auto n_events = orch_->events(d.id)->size();
  ASSERT_TRUE(orch_->reconcile());
  EXPECT_EQ(orch_->events(d.id)->size(), n_events);
}

TEST_F(OrchestratorTest, DrainMovesTasksAwayOrKeepsThemRunning) {
  auto d = running_factory();
  std::string cloud = instance(d.id, "trainer").node_id;
  std::string other = sibling(cloud);
  set_state(cloud, model::NodeState::draining);
  EXPECT_TRUE(task_ids(cloud).empty());
  EXPECT_EQ(task_ids(other).size(), 3u);
  EXPECT_EQ(instance(d.id, "history").node_id, other);

  // Draining the only plant-1 gateway: nowhere to go, so its tasks keep running there.
  set_state("edge-1", model::NodeState::draining);
  EXPECT_EQ(instance(d.id, "anomaly_detector").node_id, "edge-1");
  EXPECT_EQ(instance(d.id, "anomaly_detector").state, InstanceState::started);
  EXPECT_EQ(task_ids("edge-1").size(), 2u);
  bool blocked = false;
  auto events = *orch_->events(d.id);
  for (const auto& e : events) blocked = blocked || e.kind == "drain_blocked";
  EXPECT_TRUE(blocked);
}

TEST_F(OrchestratorTest, ReopenMidDeploymentResumes) {
  auto d = create(factory_yaml());
  report("edge-1", "dep-1.broker.0", K::started);
  std::string cloud = instance(d.id, "history").node_id;
  report(cloud, "dep-1.history.0", K::started);
  auto before = *orch_->desired(cloud);
  EXPECT_EQ(before.tasks.size(), 2u);  // history, then trainer released

  open();  // the server restarts: a new Orchestrator over the same file
  EXPECT_EQ(get(d.id).status(), "CREATE_IN_PROGRESS");
  auto after = *orch_->desired(cloud);
  EXPECT_EQ(after.revision, before.revision);
  EXPECT_EQ(after.tasks, before.tasks);
  ASSERT_TRUE(orch_->reconcile());
  start_everything(d.id);
  EXPECT_EQ(get(d.id).status(), "CREATE_COMPLETE");
  // Ids are never reused after a restart.
  EXPECT_EQ(create(factory_yaml()).id, "dep-2");
}

}  // namespace
}  // namespace iotwins::orchestrator::testing
