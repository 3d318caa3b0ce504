// The orchestrator end to end inside the process: real SQLite, real TOSCA validation, the real
// scheduler; agents are played by the test reporting the runtime's task events.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "fixtures.h"
#include <nlohmann/json.hpp>

#include "orchestrator/json.h"
#include "orchestrator/orchestrator.h"
#include "storage/database.h"

namespace iotwins::orchestrator {
namespace {

using K = runtime::TaskEventKind;

class OrchestratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "orch-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    nodes_ = testing::three_levels();
    open();
  }

  void open() {
    orch_.reset();
    db_.reset();
    auto db = storage::open_sqlite(dir_ + "/metadata.db");
    ASSERT_TRUE(db) << db.error().to_string();
    db_ = std::move(*db);
    auto orch = Orchestrator::open(*db_, clock_, [this] { return nodes_; });
    ASSERT_TRUE(orch) << orch.error().to_string();
    orch_ = std::move(*orch);
  }

  Deployment create(const std::string& yaml, const std::string& inputs = "{}") {
    auto d = orch_->create(yaml, inputs);
    EXPECT_TRUE(d) << d.error().to_string();
    return d ? *d : Deployment{};
  }

  Deployment get(const std::string& id) { return *orch_->get(id); }

  NodeInstance instance(const std::string& id, const std::string& name, int index = 0) {
    auto all = *orch_->instances(id);
    for (const auto& n : all) {
      if (n.name == name && n.index == index) return n;
    }
    ADD_FAILURE() << "no instance " << name;
    return {};
  }

  std::vector<std::string> task_ids(const std::string& node) {
    std::vector<std::string> out;
    auto set = *orch_->desired(node);
    for (const auto& t : set.tasks) out.push_back(t.id);
    return out;
  }

  void report(const std::string& node, const std::string& task, K kind, const std::string& message = "") {
    runtime::TaskEvent ev;
    ev.task_id = task;
    ev.kind = kind;
    ev.message = message;
    auto st = orch_->report(node, ev);
    ASSERT_TRUE(st) << st.error().to_string();
  }

  // Plays every agent: reports `started` for each task in a desired set that is not started yet.
  // Returns the task ids in the order they were started.
  std::vector<std::string> start_everything(const std::string& id, int rounds = 10) {
    std::vector<std::string> order;
    for (int r = 0; r < rounds && get(id).progress == Progress::in_progress; ++r) {
      std::vector<std::pair<std::string, std::string>> todo;
      auto all = *orch_->instances(id);
      for (const auto& n : all) {
        if (n.state == InstanceState::starting) todo.push_back({n.node_id, n.task_id});
      }
      for (const auto& [node, task] : todo) {
        report(node, task, K::started);
        order.push_back(task);
      }
    }
    return order;
  }

  // The factory chain, every task started.
  Deployment running_factory() {
    auto d = create(testing::factory_yaml());
    start_everything(d.id);
    EXPECT_EQ(get(d.id).status(), "CREATE_COMPLETE");
    return d;
  }

  // What the registry says about a node, then one reconciler pass.
  void set_state(const std::string& node, model::NodeState state) {
    testing::find(nodes_, node)->state = state;
    auto st = orch_->reconcile();
    ASSERT_TRUE(st) << st.error().to_string();
  }

  std::string dir_;
  ManualClock clock_;
  std::vector<model::Node> nodes_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<Orchestrator> orch_;
};

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// iot-1 ↔ iot-2, cloud-1 ↔ cloud-2.
std::string sibling(const std::string& node) {
  std::string base = node.substr(0, node.size() - 1);
  return base + (node.back() == '1' ? "2" : "1");
}

size_t pos(const std::vector<std::string>& v, const std::string& s) {
  return static_cast<size_t>(std::find(v.begin(), v.end(), s) - v.begin());
}

TEST_F(OrchestratorTest, CreateReleasesTasksInDependencyOrderUntilComplete) {
  auto d = create(testing::factory_yaml());
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
  auto bad_input = orch_->create(testing::factory_yaml(), R"({"threshold": 7})");
  ASSERT_FALSE(bad_input);
  EXPECT_NE(bad_input.error().message().find("threshold"), std::string::npos);
  EXPECT_TRUE(orch_->list()->empty());
}

TEST_F(OrchestratorTest, UnplaceableTemplateFailsWithReasonsPerFilter) {
  auto d = create(testing::factory_yaml(), R"({"plant": "plant-9"})");
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

TEST_F(OrchestratorTest, UpdateChangesOnlyWhatChanged) {
  auto d = running_factory();
  std::string cloud = instance(d.id, "trainer").node_id;
  auto edge_before = *orch_->desired("edge-1");
  auto cloud_before = *orch_->desired(cloud);
  auto iot_before = *orch_->desired(instance(d.id, "vibration_filter").node_id);

  auto u = orch_->update(d.id, testing::factory_yaml(), R"({"threshold": 0.95})", get(d.id).revision);
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
  auto stale = orch_->update(d.id, testing::factory_yaml(), "{}", u->revision);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), Errc::conflict);
  EXPECT_NE(get(d.id).inputs_json.find("0.95"), std::string::npos);
}

TEST_F(OrchestratorTest, UpdateRollsScaledTasksOneReplicaAtATime) {
  std::string yaml = testing::factory_yaml();
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
  auto u = orch_->update(d.id, testing::factory_yaml(), R"({"plant": "plant-9"})");
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
  EXPECT_FALSE(orch_->update(d.id, testing::factory_yaml(), "{}"));
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
  auto d = create(testing::factory_yaml());
  ASSERT_TRUE(orch_->remove(d.id));
  report("edge-1", "dep-1.broker.0", K::exited, "stopped by the agent");
  EXPECT_EQ(get(d.id).status(), "DELETE_IN_PROGRESS");  // the store is still being stopped
  report(instance(d.id, "history").node_id, "dep-1.history.0", K::stopped);
  EXPECT_EQ(get(d.id).status(), "DELETE_COMPLETE");
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
  auto d = create(testing::factory_yaml());
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
  std::string yaml = testing::factory_yaml();
  yaml.replace(yaml.find("restart: always"), 15, "restart: never");
  auto d = create(yaml);
  start_everything(d.id);
  report("edge-1", "dep-1.anomaly_detector.0", K::exited, "exited with code 1");
  EXPECT_EQ(get(d.id).status(), "CREATE_FAILED");
  EXPECT_NE(get(d.id).reason.find("exited with code 1"), std::string::npos);
}

TEST_F(OrchestratorTest, OutputsComeFromLiveAttributes) {
  auto d = create(testing::factory_yaml());
  auto outs = *orch_->outputs(d.id);
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(outs[0].name, "detector_endpoint");
  EXPECT_FALSE(outs[0].value.has_value());
  ASSERT_TRUE(orch_->set_attributes("dep-1.anomaly_detector.0", {{"endpoint", "tcp://10.0.0.7:7000"}}));
  outs = *orch_->outputs(d.id);
  ASSERT_TRUE(outs[0].value.has_value()) << outs[0].error;
  EXPECT_EQ(*outs[0].value, "tcp://10.0.0.7:7000");
  EXPECT_EQ(instance(d.id, "anomaly_detector").attributes.at("node"), "edge-1");
  EXPECT_EQ(orch_->set_attributes("dep-1.none.0", {{"a", "b"}}).error().code(), Errc::not_found);
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
  auto d = create(testing::factory_yaml());
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
  EXPECT_EQ(create(testing::factory_yaml()).id, "dep-2");
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
  auto d = create(testing::factory_yaml());
  EXPECT_EQ(seen.size(), 2u);  // edge-1 (broker) and the cloud node (history)
  EXPECT_EQ(seen["edge-1"], orch_->desired("edge-1")->revision);
  EXPECT_EQ(sizes["edge-1"], 1u);
  report("edge-1", "dep-1.broker.0", K::started);  // nothing released by it alone: no change
  EXPECT_EQ(seen["edge-1"], orch_->desired("edge-1")->revision);
  ASSERT_TRUE(orch_->remove(d.id));
  EXPECT_EQ(sizes["edge-1"], 0u);
}

TEST_F(OrchestratorTest, JsonForTheApi) {
  auto d = create(testing::factory_yaml(), R"({"threshold": 0.5})");
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
  auto d = create(testing::factory_yaml());
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
}  // namespace iotwins::orchestrator
