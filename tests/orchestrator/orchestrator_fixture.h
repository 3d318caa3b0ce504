// The fixture of the orchestrator tests: real SQLite in a temp dir, real TOSCA validation and
// scheduler; agents are played by the test reporting the runtime's task events.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "fixtures.h"
#include "orchestrator/orchestrator.h"
#include "storage/database.h"

namespace iotwins::orchestrator::testing {

using K = runtime::TaskEventKind;

class OrchestratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "orch-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    nodes_ = three_levels();
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
      std::vector<std::pair<std::string, std::string>> starting_tasks;
      auto all = *orch_->instances(id);
      for (const auto& n : all) {
        if (n.state == InstanceState::starting) starting_tasks.push_back({n.node_id, n.task_id});
      }
      for (const auto& [node, task] : starting_tasks) {
        report(node, task, K::started);
        order.push_back(task);
      }
    }
    return order;
  }

  // The factory chain, every task started.
  Deployment running_factory() {
    auto d = create(factory_yaml());
    start_everything(d.id);
    EXPECT_EQ(get(d.id).status(), "CREATE_COMPLETE");
    return d;
  }

  // What the registry says about a node, then one reconciler pass.
  void set_state(const std::string& node, model::NodeState state) {
    find(nodes_, node)->state = state;
    auto st = orch_->reconcile();
    ASSERT_TRUE(st) << st.error().to_string();
  }

  std::string dir_;
  ManualClock clock_;
  std::vector<model::Node> nodes_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<Orchestrator> orch_;
};

inline bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// iot-1 ↔ iot-2, cloud-1 ↔ cloud-2.
inline std::string sibling(const std::string& node) {
  std::string base = node.substr(0, node.size() - 1);
  return base + (node.back() == '1' ? "2" : "1");
}

inline size_t pos(const std::vector<std::string>& v, const std::string& s) {
  return static_cast<size_t>(std::find(v.begin(), v.end(), s) - v.begin());
}

}  // namespace iotwins::orchestrator::testing
