// The Scheduler as a whole: batches, snapshot updates, validation, sampling.
#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace iotwins::scheduler {
namespace {

using namespace testing_support;

TEST(Scheduler, BatchSeesEarlierPlacementsAndSnapshotRecordsThem) {
  auto a = node("a", Level::edge, 1000, 4 * kGi);
  auto s = Scheduler::create({a, node("b", Level::edge, 1000, 4 * kGi)});
  ASSERT_TRUE(s);
  auto r0 = request("r0", 800, kGi);
  r0.task_labels = {{"app", "filter"}};
  std::vector<PlacementRequest> batch = {r0, request("r1", 800, kGi), request("r2", 800, kGi)};
  auto plan = s->place(batch);
  ASSERT_TRUE(plan) << plan.error().to_string();
  ASSERT_EQ(plan->assignments.size(), 2u);
  EXPECT_NE(plan->assignments[0].node_id, plan->assignments[1].node_id);
  ASSERT_EQ(plan->failures.size(), 1u);
  EXPECT_EQ(plan->failures[0].explanation, "no node fits task r2: 2 nodes: insufficient cpu");

  auto snap = s->snapshot();
  ASSERT_EQ(snap.size(), 2u);
  for (const NodeSnapshot& n : snap) {
    EXPECT_EQ(n.allocated, (Resources{800, kGi, 0}));
    ASSERT_EQ(n.tasks.size(), 1u);
  }
  const NodeSnapshot& with_r0 = snap[plan->assignments[0].node_id == "a" ? 0 : 1];
  EXPECT_EQ(with_r0.tasks[0], (TaskPlacement{"r0", "d1", "g1", {{"app", "filter"}}}));

  // A later call continues from there: the snapshot of one Scheduler feeds the next.
  auto next = Scheduler::create(snap);
  ASSERT_TRUE(next);
  auto anti = request("r3", 100, 0);
  anti.affinity = {AffinityTerm{{"", "", {req("app=filter")}}, true, true, 50}};
  auto out = next->place_one(anti);
  ASSERT_TRUE(out && out->assignment);
  EXPECT_NE(out->assignment->node_id, with_r0.id);
}

TEST(Scheduler, InvalidRequestInBatchChangesNothing) {
  auto s = Scheduler::create({node("a")});
  ASSERT_TRUE(s);
  auto bad = request("bad");
  bad.affinity = {AffinityTerm{{"d1", "", {}}, false, false, 0}};
  std::vector<PlacementRequest> batch = {request("ok"), bad};
  auto plan = s->place(batch);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code(), Errc::invalid_argument);
  EXPECT_EQ(plan.error().message(), "request #1 'bad': affinity[0].weight: must be 1..100, got 0");
  EXPECT_EQ(s->snapshot(), std::vector<NodeSnapshot>{node("a")});
}

TEST(Scheduler, RequestValidationMessages) {
  auto s = Scheduler::create({node("a")});
  ASSERT_TRUE(s);
  auto expect_error = [&](PlacementRequest r, const std::string& message) {
    auto out = s->place_one(r);
    ASSERT_FALSE(out) << message;
    EXPECT_EQ(out.error().message(), message);
  };
  expect_error(request(""), "request #0 '': id must be 1..253 characters");
  expect_error(request("t", -1, 0), "request #0 't': resources.cpu is negative");
  auto r = request("t");
  r.selector = {LabelRequirement{"zone", LabelRequirement::Op::in, {}}};
  expect_error(r, "request #0 't': selector[0]: in and notin take at least one value");
  r = request("t");
  r.affinity = {AffinityTerm{}};
  expect_error(r, "request #0 't': affinity[0]: selects every task; give a deployment, group or labels");
  r = request("t");
  r.spread = Spread{"", 10};
  expect_error(r, "request #0 't': spread.key is empty");
  r = request("t");
  r.near = Near{Near::Kind::twin, "", Near::Scope::node, true};
  expect_error(r, "request #0 't': near: empty target");
  std::vector<PlacementRequest> dup = {request("x"), request("x")};
  auto plan = s->place(dup);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().message(), "request #1 'x': duplicate id (first at #0)");
}

TEST(Scheduler, SnapshotValidation) {
  auto bad_cap = node("a");
  bad_cap.capacity.memory_bytes = -1;
  auto r = Scheduler::create({node("ok"), bad_cap});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "node #1 'a': capacity.memory_bytes is negative");
  r = Scheduler::create({node("a"), node("a")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "node #1 'a': duplicate id");
  auto x = node("x", Level::iot), y = node("y", Level::cloud);
  x.parent = "y";
  y.parent = "x";
  r = Scheduler::create({x, y});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("parent chain loops"), std::string::npos) << r.error().message();
  EXPECT_FALSE(Scheduler::create({node("a")}, {.fit_weight = -1}));
}

TEST(Scheduler, EmptySnapshotExplains) {
  auto plan = scheduler::plan({}, std::vector<PlacementRequest>{request("t")});
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->failures.size(), 1u);
  EXPECT_EQ(plan->failures[0].explanation, "no node fits task t: the snapshot has no nodes");
}

TEST(Scheduler, TasksToMoveAreOnDrainingAndDownNodesOnly) {
  std::vector<NodeSnapshot> nodes;
  for (NodeState st : {NodeState::ready, NodeState::unreachable, NodeState::draining, NodeState::down}) {
    auto n = node(std::string(to_string(st)));
    n.state = st;
    n.tasks = {{"task-on-" + n.id, "d", "g", {}}};
    nodes.push_back(n);
  }
  auto moves = tasks_to_move(nodes);
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_EQ(moves[0].node_id, "draining");
  EXPECT_EQ(moves[0].task.id, "task-on-draining");
  EXPECT_EQ(moves[1].node_id, "down");
}

// 1000 nodes, sampling after 5 feasible: a request that only one node can take still finds it,
// and the plan is the same on every run.
TEST(Scheduler, SamplingNeverLosesAFeasibleNodeAndIsDeterministic) {
  std::vector<NodeSnapshot> nodes;
  for (int i = 0; i < 1000; ++i) {
    auto n = node("n" + std::to_string(i), i % 2 ? Level::edge : Level::cloud);
    n.arch = i % 3 ? "x86_64" : "aarch64";
    n.labels = {{"rack", "r" + std::to_string(i % 50)}};
    nodes.push_back(n);
  }
  nodes[777].labels["special"] = "yes";
  SchedulerConfig config{.exhaustive_limit = 10, .sample_feasible = 5, .seed = 3};
  std::vector<PlacementRequest> batch;
  for (int i = 0; i < 300; ++i) {
    auto r = request("r" + std::to_string(i), 100, kGi / 8);
    if (i % 4 == 0) r.level = Level::edge;
    if (i % 5 == 0) r.arch = "aarch64";
    if (i % 7 == 0) r.selector = {req("rack in (r1,r2,r3)")};
    batch.push_back(r);
  }
  auto special = request("special", 100, 0);
  special.selector = {req("special")};
  batch.push_back(special);
  auto plan = scheduler::plan(nodes, batch, config);
  auto again = scheduler::plan(nodes, batch, config);
  ASSERT_TRUE(plan && again);
  EXPECT_EQ(*plan, *again);
  EXPECT_TRUE(plan->failures.empty());
  ASSERT_EQ(plan->assignments.size(), batch.size());
  EXPECT_EQ(plan->assignments.back().node_id, "n777");
  // Every assignment satisfies its request's level and arch (checked against the input).
  for (size_t i = 0; i < batch.size(); ++i) {
    const int idx = std::stoi(plan->assignments[i].node_id.substr(1));
    if (batch[i].level) {
      EXPECT_EQ(nodes[idx].level, *batch[i].level);
    }
    if (!batch[i].arch.empty()) {
      EXPECT_EQ(nodes[idx].arch, batch[i].arch);
    }
  }
}

TEST(Scheduler, ExhaustiveBinpackPicksTheGlobalBestSamplingALocalOne) {
  // 300 nodes, one of which is far fuller than the rest: exhaustive binpack always finds it.
  std::vector<NodeSnapshot> nodes;
  for (int i = 0; i < 300; ++i) nodes.push_back(node("n" + std::to_string(i)));
  nodes[123].allocated = {3000, 6 * kGi, 0};
  std::vector<PlacementRequest> batch = {request("t", 100, 0)};
  auto exact = scheduler::plan(nodes, batch, {.sample_feasible = 0});
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->assignments[0].node_id, "n123");
  auto limit_off = scheduler::plan(nodes, batch, {.exhaustive_limit = 1000});
  ASSERT_TRUE(limit_off);
  EXPECT_EQ(limit_off->assignments[0].node_id, "n123");
}

}  // namespace
}  // namespace iotwins::scheduler
