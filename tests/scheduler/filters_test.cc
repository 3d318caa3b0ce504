// Every filter: a node failing only that filter is rejected and counted under its name; a node
// passing it is chosen.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "scheduler/scheduler.h"

namespace iotwins::scheduler {
namespace {

using namespace testing_support;

// Places one request; returns the chosen node id or the failure explanation prefixed with "!".
std::string place(std::vector<NodeSnapshot> nodes, const PlacementRequest& r, SchedulerConfig config = {}) {
  auto s = Scheduler::create(std::move(nodes), config);
  EXPECT_TRUE(s) << s.error().to_string();
  auto out = s->place_one(r);
  EXPECT_TRUE(out) << out.error().to_string();
  if (out->assignment) return out->assignment->node_id;
  return "!" + out->failure->explanation;
}

TEST(Filters, NodeStateOnlyReadyTakesTasks) {
  auto draining = node("n-draining");
  draining.state = NodeState::draining;
  auto unreachable = node("n-unreachable");
  unreachable.state = NodeState::unreachable;
  auto down = node("n-down");
  down.state = NodeState::down;
  EXPECT_EQ(place({draining, unreachable, down}, request("t")),
            "!no node fits task t: 1 node: node draining; 1 node: node unreachable; 1 node: node down");
  EXPECT_EQ(place({draining, unreachable, down, node("n-ready")}, request("t")), "n-ready");
}

TEST(Filters, Level) {
  auto r = request("t");
  r.level = Level::cloud;
  EXPECT_EQ(place({node("e1"), node("e2"), node("i1", Level::iot)}, r),
            "!no node fits task t: 3 nodes: level mismatch");
  EXPECT_EQ(place({node("e1"), node("c1", Level::cloud)}, r), "c1");
  r.level.reset();  // any level
  EXPECT_EQ(place({node("i1", Level::iot)}, r), "i1");
}

TEST(Filters, Arch) {
  auto pi = node("pi");
  pi.arch = "aarch64";
  auto r = request("t");
  r.arch = "aarch64";
  EXPECT_EQ(place({node("x1"), pi}, r), "pi");
  r.arch = "riscv64";  // no node has it
  EXPECT_EQ(place({node("x1"), pi}, r), "!no node fits task t: 2 nodes: arch mismatch");
}

TEST(Filters, DriversFromAttributesAndList) {
  auto oci = node("oci");
  oci.has_oci = true;
  auto bw = node("bw");
  bw.has_bubblewrap = true;
  bw.drivers = {"exec"};
  auto r = request("t");
  r.drivers = {"oci"};
  EXPECT_EQ(place({bw, oci}, r), "oci");
  r.drivers = {"bwrap", "exec"};
  EXPECT_EQ(place({oci, bw}, r), "bw");
  r.drivers = {"oci", "exec"};
  EXPECT_EQ(place({oci, bw}, r), "!no node fits task t: 2 nodes: missing task driver");
  r.drivers = {"wasm"};  // unknown to every node
  EXPECT_EQ(place({oci, bw}, r), "!no node fits task t: 2 nodes: missing task driver");
}

TEST(Filters, LabelSelectorOperators) {
  auto a = node("a");
  a.labels = {{"zone", "z1"}, {"ssd", "true"}};
  auto b = node("b");
  b.labels = {{"zone", "z2"}};
  auto c = node("c");  // no labels
  auto only = [&](std::vector<std::string> texts) {
    auto r = request("t");
    for (const auto& t : texts) r.selector.push_back(req(t));
    // Place on each node alone to learn exactly which nodes match.
    std::string fits;
    for (const auto& n : {a, b, c}) {
      if (place({n}, r)[0] != '!') fits += n.id;
    }
    return fits;
  };
  EXPECT_EQ(only({"zone=z1"}), "a");
  EXPECT_EQ(only({"zone!=z1"}), "bc");  // a missing label is "not equal"
  EXPECT_EQ(only({"zone in (z1,z2)"}), "ab");
  EXPECT_EQ(only({"zone notin (z1)"}), "bc");
  EXPECT_EQ(only({"ssd"}), "a");
  EXPECT_EQ(only({"!ssd"}), "bc");
  EXPECT_EQ(only({"zone", "!ssd"}), "b");
  EXPECT_EQ(only({"zone=z9"}), "");     // a value no node has
  EXPECT_EQ(only({"rack!=r1"}), "abc"); // a key no node has
  auto r = request("t");
  r.selector = {req("zone=z1")};
  EXPECT_EQ(place({b, c}, r), "!no node fits task t: 2 nodes: node labels do not match");
}

TEST(Filters, CpuMemoryGpusCountAllocations) {
  auto full_cpu = node("cpu", Level::edge, 1000);
  full_cpu.allocated.cpu_millis = 600;
  auto full_mem = node("mem", Level::edge, 4000, 2 * kGi);
  full_mem.allocated.memory_bytes = kGi + 1;
  auto r = request("t", 500, kGi);
  EXPECT_EQ(place({full_cpu, full_mem}, r),
            "!no node fits task t: 1 node: insufficient cpu; 1 node: insufficient memory");
  full_mem.allocated.memory_bytes = kGi;  // exactly fits
  EXPECT_EQ(place({full_cpu, full_mem}, r), "mem");

  auto gpu = node("gpu");
  gpu.capacity.gpus = 1;
  r.resources.gpus = 1;
  EXPECT_EQ(place({node("plain"), gpu}, r), "gpu");
  gpu.allocated.gpus = 1;
  EXPECT_EQ(place({node("plain"), gpu}, r), "!no node fits task t: 2 nodes: insufficient gpus");
}

TEST(Filters, RequiredNearTwinOnNodeOrSubtree) {
  auto edge = node("edge-1");
  auto iot = node("iot-1", Level::iot);
  iot.parent = "edge-1";
  iot.twins = {"press-7"};
  auto iot_sibling = node("iot-2", Level::iot);
  iot_sibling.parent = "edge-1";
  auto other_edge = node("edge-2");
  auto other_iot = node("iot-3", Level::iot);
  other_iot.parent = "edge-2";
  std::vector<NodeSnapshot> nodes = {edge, iot, iot_sibling, other_edge, other_iot};

  auto r = request("t");
  r.near = Near{Near::Kind::twin, "press-7", Near::Scope::node, true};
  EXPECT_EQ(place(nodes, r), "iot-1");
  nodes[1].allocated.cpu_millis = 4000;  // the host is full
  EXPECT_EQ(place(nodes, r),
            "!no node fits task t: 4 nodes: not near the twin or service; 1 node: insufficient cpu");
  // In the subtree: the edge gateway or a sibling qualify, the other subtree does not.
  r.near->scope = Near::Scope::subtree;
  r.level = Level::edge;
  EXPECT_EQ(place(nodes, r), "edge-1");
  r.level = Level::iot;
  EXPECT_EQ(place(nodes, r), "iot-2");
  r.near->target = "no-such-twin";
  EXPECT_EQ(place(nodes, r), "!no node fits task t: 3 nodes: not near the twin or service; 2 nodes: level mismatch");
}

TEST(Filters, RequiredNearService) {
  auto store = node("cloud-store", Level::cloud);
  store.services = {"store"};
  auto r = request("t");
  r.near = Near{Near::Kind::service, "store", Near::Scope::node, true};
  EXPECT_EQ(place({node("c0", Level::cloud), store, node("c2", Level::cloud)}, r), "cloud-store");
  r.near->kind = Near::Kind::twin;  // same name as a twin: nothing
  EXPECT_EQ(place({store}, r), "!no node fits task t: 1 node: not near the twin or service");
}

TaskPlacement task(std::string id, std::string deployment, std::string group,
                   std::map<std::string, std::string> labels = {}) {
  return {std::move(id), std::move(deployment), std::move(group), std::move(labels)};
}

TEST(Filters, RequiredAntiAffinity) {
  auto busy = node("busy");
  busy.tasks = {task("old", "d1", "g1", {{"app", "db"}})};
  auto r = request("t");
  r.affinity = {AffinityTerm{{"d1", "g1", {}}, true, true, 50}};
  EXPECT_EQ(place({busy, node("free")}, r), "free");
  EXPECT_EQ(place({busy}, r), "!no node fits task t: 1 node: anti-affinity conflict");
  r.affinity = {AffinityTerm{{"", "", {req("app=db")}}, true, true, 50}};  // by task label
  EXPECT_EQ(place({busy}, r), "!no node fits task t: 1 node: anti-affinity conflict");
  r.affinity = {AffinityTerm{{"", "", {req("app=web")}}, true, true, 50}};
  EXPECT_EQ(place({busy}, r), "busy");
}

TEST(Filters, RequiredAffinity) {
  auto with_db = node("with-db");
  with_db.tasks = {task("db-0", "shop", "db", {{"tier", "data"}})};
  auto r = request("t");
  r.affinity = {AffinityTerm{{"shop", "db", {}}, false, true, 50}};
  EXPECT_EQ(place({node("a"), with_db, node("b")}, r), "with-db");
  r.affinity = {AffinityTerm{{"shop", "", {req("tier in (data,cache)")}}, false, true, 50}};
  EXPECT_EQ(place({node("a"), with_db}, r), "with-db");
  r.affinity = {AffinityTerm{{"other", "db", {}}, false, true, 50}};
  EXPECT_EQ(place({node("a"), with_db}, r), "!no node fits task t: 2 nodes: required affinity not met");
}

TEST(Filters, EarlierPlacementsInABatchCount) {
  // Two replicas with required anti-affinity to their own group cannot share a node.
  std::vector<PlacementRequest> batch;
  for (const char* id : {"r0", "r1", "r2"}) {
    auto r = request(id);
    r.affinity = {AffinityTerm{{"d1", "g1", {}}, true, true, 50}};
    batch.push_back(r);
  }
  auto plan = scheduler::plan({node("a"), node("b")}, batch);
  ASSERT_TRUE(plan) << plan.error().to_string();
  ASSERT_EQ(plan->assignments.size(), 2u);
  EXPECT_NE(plan->assignments[0].node_id, plan->assignments[1].node_id);
  ASSERT_EQ(plan->failures.size(), 1u);
  EXPECT_EQ(plan->failures[0].explanation, "no node fits task r2: 2 nodes: anti-affinity conflict");
  EXPECT_EQ(plan->failures[0].reasons, (std::vector<FilterCount>{{"anti-affinity conflict", 2}}));
  EXPECT_EQ(plan->failures[0].nodes_evaluated, 2u);
}

TEST(Filters, ReasonsSortedByNodeCount) {
  auto r = request("t", 500, 16 * kGi);
  r.level = Level::edge;
  auto plan = scheduler::plan({node("c1", Level::cloud), node("e1"), node("e2"), node("e3"), node("i1", Level::iot)},
                              std::vector<PlacementRequest>{r});
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->failures.size(), 1u);
  EXPECT_EQ(plan->failures[0].explanation, "no node fits task t: 3 nodes: insufficient memory; 2 nodes: level mismatch");
}

}  // namespace
}  // namespace iotwins::scheduler
