#include <thread>

#include "fixture.h"

namespace iotwins::twins::testing {
namespace {

using nlohmann::json;

TEST_F(ServiceTest, FeedGivesEachChangedTwinOnceAtItsLatestState) {
  put("a", json::object());
  put("b", json::object());
  int64_t cursor = svc_->last_seq();
  ASSERT_TRUE(svc_->patch_state("a", desired({{"x", 1}})));
  ASSERT_TRUE(svc_->patch_state("b", desired({{"x", 1}})));
  ASSERT_TRUE(svc_->patch_state("a", desired({{"x", 2}})));
  auto page = svc_->changes_after(cursor, 100, {});
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].id, "b");
  EXPECT_EQ(page.items[1].id, "a");
  EXPECT_EQ(page.items[1].doc->desired["x"], 2);
  EXPECT_EQ(page.items[1].changed, std::vector<std::string>{"state.desired.x"});
  EXPECT_EQ(page.cursor, svc_->last_seq());
  EXPECT_TRUE(svc_->changes_after(page.cursor, 100, {}).items.empty());
  // Paging: max 1 returns the oldest first and a cursor that resumes after it.
  auto first = svc_->changes_after(cursor, 1, {});
  ASSERT_EQ(first.items.size(), 1u);
  auto rest = svc_->changes_after(first.cursor, 10, {});
  ASSERT_EQ(rest.items.size(), 1u);
  EXPECT_EQ(rest.items[0].id, "a");
}

TEST_F(ServiceTest, FeedFiltersByNodeAndQueryButAdvancesTheCursor) {
  put("a", {{"node", "edge-1"}});
  put("b", {{"node", "edge-2"}});
  put("c", {{"node", "edge-1"}});
  ASSERT_TRUE(svc_->patch_state("c", desired({{"speed", 5}})));
  auto edge1 = svc_->changes_after(0, 100, {.node = "edge-1"});
  ASSERT_EQ(edge1.items.size(), 2u);
  EXPECT_EQ(edge1.items[0].id, "a");
  EXPECT_EQ(edge1.cursor, svc_->last_seq());
  auto q = twin::Query::compile("desired.speed > 1");
  ASSERT_TRUE(q);
  auto fast = svc_->changes_after(0, 100, {.query = &*q});
  ASSERT_EQ(fast.items.size(), 1u);
  EXPECT_EQ(fast.items[0].id, "c");
  ASSERT_TRUE(svc_->delete_twin("a", std::nullopt));
  auto del = svc_->changes_after(edge1.cursor, 100, {.node = "edge-1"});
  ASSERT_EQ(del.items.size(), 1u);
  EXPECT_TRUE(del.items[0].deleted);
  EXPECT_FALSE(del.items[0].doc);
}

TEST_F(ServiceTest, WaitForChangeWakesOnAChangeAndOnClose) {
  put("a", json::object());
  int64_t cursor = svc_->last_seq();
  EXPECT_TRUE(svc_->wait_for_change(cursor - 1, std::chrono::milliseconds(0)));  // already there
  std::thread writer([&] { ASSERT_TRUE(svc_->patch_state("a", desired({{"x", 1}}))); });
  // Returns once the change is published (the timeout is only a bound for a broken build).
  while (svc_->last_seq() <= cursor) ASSERT_TRUE(svc_->wait_for_change(cursor, std::chrono::seconds(30)));
  writer.join();
  EXPECT_GT(svc_->last_seq(), cursor);
  std::thread closer([&] { svc_->close(); });
  while (svc_->wait_for_change(svc_->last_seq(), std::chrono::seconds(30))) {
  }
  closer.join();
}

}  // namespace
}  // namespace iotwins::twins::testing
