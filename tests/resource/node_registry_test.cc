#include "resource/node_registry.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>

#include "model/json.h"

namespace iotwins::resource {
namespace {

using namespace std::chrono_literals;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "registry_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    for (const char* s : {"", "-wal", "-shm"}) std::remove((path_ + s).c_str());
    reopen();
  }
  void reopen() {
    registry_.reset();
    db_.reset();
    db_ = std::move(*storage::open_sqlite(path_));
    auto r = NodeRegistry::open(*db_, clock_, {.unreachable_after = 15s, .down_after = 300s});
    ASSERT_TRUE(r) << r.error().to_string();
    registry_ = std::move(*r);
  }
  model::NodeRegistration reg(const std::string& name, model::Level level) {
    model::NodeRegistration r;
    r.name = name;
    r.level = level;
    r.labels = {{"site", "plant-1"}};
    r.facts.hostname = name + ".local";
    r.facts.cores = 4;
    return r;
  }

  std::string path_;
  ManualClock clock_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<NodeRegistry> registry_;
};

TEST_F(RegistryTest, RegisterAssignsIdsByLevelAndKeepsThemAcrossReopen) {
  auto a = registry_->register_node(reg("a", model::Level::edge));
  auto b = registry_->register_node(reg("b", model::Level::cloud));
  auto c = registry_->register_node(reg("c", model::Level::iot));
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->id.rfind("edge-", 0), 0u);
  EXPECT_EQ(b->id.rfind("cloud-", 0), 0u);
  EXPECT_EQ(c->state, model::NodeState::ready);
  reopen();
  auto nodes = registry_->list();
  ASSERT_EQ(nodes.size(), 3u);  // every node, not just the last one loaded
  auto again = registry_->get(b->id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->name, "b");
  EXPECT_EQ(again->labels.at("site"), "plant-1");
  EXPECT_EQ(again->facts.cores, 4);
}

TEST_F(RegistryTest, ReRegistrationWithAKnownIdUpdatesThatNode) {
  auto a = registry_->register_node(reg("a", model::Level::edge));
  ASSERT_TRUE(a);
  auto r = reg("a-renamed", model::Level::edge);
  r.id = a->id;
  auto again = registry_->register_node(r);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, a->id);
  EXPECT_EQ(again->name, "a-renamed");
  EXPECT_EQ(again->registered_ns, a->registered_ns);
  EXPECT_EQ(registry_->list().size(), 1u);
  // An id the registry never issued is accepted (a server that lost its data): the agent keeps it.
  auto stranger = reg("s", model::Level::iot);
  stranger.id = "iot-feedbeef";
  EXPECT_EQ(registry_->register_node(stranger)->id, "iot-feedbeef");
}

TEST_F(RegistryTest, StatesFollowHeartbeatsAndTheClock) {
  auto a = registry_->register_node(reg("a", model::Level::edge));
  ASSERT_TRUE(a);
  clock_.advance(14999ms);
  EXPECT_EQ(registry_->get(a->id)->state, model::NodeState::ready);
  clock_.advance(1ms);
  EXPECT_EQ(registry_->get(a->id)->state, model::NodeState::unreachable);
  clock_.advance(300s - 15s - 1ms);
  EXPECT_EQ(registry_->get(a->id)->state, model::NodeState::unreachable);
  clock_.advance(1ms);
  EXPECT_EQ(registry_->get(a->id)->state, model::NodeState::down);
  model::Heartbeat hb;
  hb.kpis.cpu_percent = 42;
  auto back = registry_->heartbeat(a->id, hb);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->state, model::NodeState::ready);
  EXPECT_DOUBLE_EQ(back->kpis->cpu_percent, 42);
}

TEST_F(RegistryTest, DrainingHoldsWhateverTheHeartbeatsAndSurvivesReopen) {
  auto a = registry_->register_node(reg("a", model::Level::edge));
  ASSERT_TRUE(registry_->set_draining(a->id, true));
  EXPECT_EQ(registry_->heartbeat(a->id, {})->state, model::NodeState::draining);
  reopen();
  EXPECT_EQ(registry_->get(a->id)->state, model::NodeState::draining);
  ASSERT_TRUE(registry_->set_draining(a->id, false));
  EXPECT_EQ(registry_->get(a->id)->state, model::NodeState::ready);
}

TEST_F(RegistryTest, UnknownNodesAndSelfParentsAreErrors) {
  EXPECT_EQ(registry_->heartbeat("edge-nope", {}).error().code(), Errc::not_found);
  EXPECT_EQ(registry_->get("edge-nope").error().code(), Errc::not_found);
  EXPECT_EQ(registry_->set_draining("edge-nope", true).error().code(), Errc::not_found);
  EXPECT_EQ(registry_->remove("edge-nope").error().code(), Errc::not_found);
  auto r = reg("loop", model::Level::edge);
  r.id = "edge-loop";
  r.parent = "edge-loop";
  EXPECT_EQ(registry_->register_node(r).error().code(), Errc::invalid_argument);
  EXPECT_TRUE(registry_->list().empty());
}

TEST_F(RegistryTest, RemoveForgetsTheNodeDurably) {
  auto a = registry_->register_node(reg("a", model::Level::edge));
  ASSERT_TRUE(registry_->remove(a->id));
  reopen();
  EXPECT_TRUE(registry_->list().empty());
}

TEST_F(RegistryTest, GroupIsDefaultUntilGivenKeptByReRegistrationAndSurvivesReopen) {
  auto plain = registry_->register_node(reg("plain", model::Level::edge));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->group, "default");
  auto joined = registry_->register_node(reg("joined", model::Level::edge), "plant-b");
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->group, "plant-b");
  auto again = reg("joined", model::Level::edge);
  again.id = joined->id;
  ASSERT_TRUE(registry_->register_node(again));  // no group given: the node keeps its own
  EXPECT_EQ(registry_->get(joined->id)->group, "plant-b");
  EXPECT_EQ(model::to_json(*registry_->get(joined->id))["group"], "plant-b");
  reopen();
  EXPECT_EQ(registry_->get(joined->id)->group, "plant-b");
  EXPECT_EQ(registry_->get(plain->id)->group, "default");
  auto empty = registry_->register_node(again, "");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), Errc::invalid_argument);
  EXPECT_EQ(registry_->get(joined->id)->group, "plant-b");
}

TEST_F(RegistryTest, NodesStoredBeforeGroupsReadAsDefault) {
  auto n = registry_->register_node(reg("old", model::Level::edge), "plant-b");
  ASSERT_TRUE(n);
  // The stored document as an older server wrote it: no group member.
  auto doc = model::to_json(*n);
  doc.erase("group");
  ASSERT_TRUE(db_->execute("UPDATE nodes SET doc = ?1 WHERE id = ?2", {doc.dump(), n->id}));
  reopen();
  EXPECT_EQ(registry_->get(n->id)->group, "default");
}

}  // namespace
}  // namespace iotwins::resource
