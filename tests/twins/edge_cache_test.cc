#include "twins/edge_cache.h"

#include <gmock/gmock.h>

#include "fixture.h"
#include "twins/events.h"

namespace iotwins::twins::testing {
namespace {

using nlohmann::json;
constexpr int64_t kMs = 1'000'000;

// The cache beside a real server-side TwinService: what the agent would get from the feed is
// taken from the service, and the `$desired` events the cache emits are applied to the service
// as the data plane would.
class EdgeCacheTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    edge_path_ = path_ + ".edge";
    for (const char* s : {"", "-wal", "-shm"}) std::remove((edge_path_ + s).c_str());
    reopen_edge();
  }
  void reopen_edge() {
    cache_.reset();
    edge_db_.reset();
    edge_db_ = std::move(*storage::open_sqlite(edge_path_));
    EdgeCallbacks cb;
    cb.publish = [this](const std::string& topic, const std::string& payload) {
      published_.push_back({topic, json::parse(payload)});
      return ok();
    };
    cb.emit = [this](const dataplane::Event& e) {
      upstream_.push_back(e);
      return ok();
    };
    auto c = EdgeTwinCache::open(*edge_db_, clock_, cb);
    ASSERT_TRUE(c) << c.error().to_string();
    cache_ = std::move(*c);
  }
  // The feed catching up: every change after the cache's cursor.
  void sync_from_server() {
    auto page = svc_->changes_after(cache_->cursor(), 1000, {.node = "edge-1"});
    for (auto& item : page.items) {
      if (item.deleted) {
        ASSERT_TRUE(cache_->on_server_delete(item.id));
      } else {
        ASSERT_TRUE(cache_->on_server_doc(*item.doc));
      }
    }
    ASSERT_TRUE(cache_->set_cursor(page.cursor));
  }
  // The data plane delivering what the edge emitted.
  void forward_upstream() {
    std::vector<dataplane::Record> run(upstream_.begin(), upstream_.end());
    ASSERT_TRUE(svc_->apply_records("events", next_seq_, run));
    next_seq_ += run.size();
    upstream_.clear();
  }

  std::string edge_path_;
  std::unique_ptr<storage::Database> edge_db_;
  std::unique_ptr<EdgeTwinCache> cache_;
  std::vector<std::pair<std::string, json>> published_;
  std::vector<dataplane::Event> upstream_;
  uint64_t next_seq_ = 1;
};

TEST_F(EdgeCacheTest, ACloudDesiredChangeBecomesOneDeltaAndClearsWhenReported) {
  put("p1", {{"node", "edge-1"}});
  put("other", {{"node", "edge-2"}});
  sync_from_server();
  EXPECT_EQ(cache_->list().size(), 1u);
  EXPECT_TRUE(published_.empty());  // nothing desired yet
  ASSERT_TRUE(svc_->patch_state("p1", desired({{"speed", 1200}})));
  sync_from_server();
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].first, "iotwins/p1/desired/delta");
  EXPECT_EQ(published_[0].second["state"], json({{"speed", 1200}}));
  // The same state again (a replayed feed, a restart) publishes nothing new.
  ASSERT_TRUE(cache_->set_cursor(0));
  sync_from_server();
  reopen_edge();
  ASSERT_TRUE(cache_->set_cursor(0));
  sync_from_server();
  EXPECT_EQ(published_.size(), 1u);
  // The device reports the value: the delta clears locally.
  ASSERT_TRUE(cache_->on_reported("p1", {{"speed", 1200}}, clock_.now_ns()));
  EXPECT_EQ(cache_->get("p1")->delta, json::object());
  // A later different desired value is published again.
  ASSERT_TRUE(svc_->patch_state("p1", desired({{"speed", 900}})));
  sync_from_server();
  ASSERT_EQ(published_.size(), 2u);
  EXPECT_EQ(published_[1].second["state"]["speed"], 900);
}

TEST_F(EdgeCacheTest, OfflineChangesOnBothSidesReconcileFieldByField) {
  put("p1", {{"node", "edge-1"}});
  sync_from_server();
  // Partition. The edge changes mode and speed; the cloud changes speed later and adds a limit.
  clock_.advance(std::chrono::seconds(1));
  auto local = cache_->patch_desired("p1", {{"mode", "manual"}, {"speed", 500}}, std::nullopt);
  ASSERT_TRUE(local) << local.error().to_string();
  EXPECT_EQ(local->desired["mode"], "manual");
  ASSERT_EQ(published_.size(), 1u);  // the device got it at once, offline
  EXPECT_EQ(cache_->pending(), 2u);
  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(svc_->patch_state("p1", desired({{"speed", 700}, {"limit", 9}})));
  // Pending survives an agent restart while offline.
  reopen_edge();
  EXPECT_EQ(cache_->pending(), 2u);
  EXPECT_EQ(cache_->get("p1")->desired["mode"], "manual");
  // Reconnect in the worst order: the feed first (local edits the cloud has not overtaken stay
  // laid over; speed was overtaken by the cloud's later change), then the buffer.
  sync_from_server();
  EXPECT_EQ(cache_->get("p1")->desired, json({{"mode", "manual"}, {"speed", 700}, {"limit", 9}}));
  EXPECT_EQ(cache_->pending(), 1u);
  forward_upstream();
  sync_from_server();
  json expected = {{"mode", "manual"}, {"speed", 700}, {"limit", 9}};
  EXPECT_EQ(svc_->get_twin("p1")->desired, expected);  // speed: the cloud's later change wins
  EXPECT_EQ(cache_->get("p1")->desired, expected);
  EXPECT_EQ(cache_->pending(), 0u);
  EXPECT_EQ(published_.back().second["state"], expected);
}

TEST_F(EdgeCacheTest, BatchesApplyManyTwinsAtOnceAndSurviveARestart) {
  for (const char* id : {"a", "b", "c"}) put(id, {{"node", "edge-1"}});
  ASSERT_TRUE(svc_->patch_state("b", desired({{"speed", 5}})));
  // A page of the feed: three twins and the cursor after them, one transaction.
  auto page = svc_->changes_after(0, 100, {.node = "edge-1"});
  std::vector<EdgeTwinCache::ServerChange> changes;
  for (auto& item : page.items) changes.push_back({item.id, item.doc});
  ASSERT_TRUE(cache_->on_server_changes(changes, page.cursor));
  EXPECT_EQ(cache_->list().size(), 3u);
  EXPECT_EQ(cache_->cursor(), page.cursor);
  ASSERT_EQ(published_.size(), 1u);  // only b has a delta
  // An ingest step's reported messages: several twins, several messages of one twin, one unknown.
  std::vector<EdgeTwinCache::Reported> batch = {{"a", {{"t", 1}}, clock_.now_ns()},
                                                {"b", {{"speed", 5}}, clock_.now_ns()},
                                                {"a", {{"t", 2}}, clock_.now_ns() + 1'000'000},
                                                {"zz", {{"t", 9}}, clock_.now_ns()}};
  ASSERT_TRUE(cache_->on_reported_batch(batch));
  reopen_edge();
  EXPECT_EQ(cache_->get("a")->reported, json({{"t", 2}}));
  EXPECT_EQ(cache_->get("b")->delta, json::object());
  EXPECT_FALSE(cache_->get("zz"));
  EXPECT_EQ(cache_->cursor(), page.cursor);
  // A deletion in a page removes the twin.
  std::vector<EdgeTwinCache::ServerChange> gone = {{"c", std::nullopt}};
  ASSERT_TRUE(cache_->on_server_changes(gone, page.cursor + 1));
  reopen_edge();
  EXPECT_FALSE(cache_->get("c"));
  EXPECT_EQ(cache_->cursor(), page.cursor + 1);
}

TEST_F(EdgeCacheTest, LocalChangesAreCheckedAndUnknownTwinsRefused) {
  put("p1", {{"node", "edge-1"}});
  sync_from_server();
  auto stale = cache_->patch_desired("p1", {{"a", 1}}, 99);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), Errc::conflict);
  EXPECT_TRUE(upstream_.empty());
  EXPECT_EQ(cache_->patch_desired("nope", {{"a", 1}}, std::nullopt).error().code(), Errc::not_found);
  EXPECT_FALSE(cache_->patch_desired("p1", json::array(), std::nullopt));
  ASSERT_TRUE(cache_->patch_desired("p1", {{"a", 1}}, std::nullopt));
  ASSERT_EQ(upstream_.size(), 1u);
  EXPECT_EQ(upstream_[0].type, kDesiredEvent);
  EXPECT_EQ(json::parse(upstream_[0].json), json({{"desired", {{"a", 1}}}}));
  // Deleted on the server: gone from the cache.
  ASSERT_TRUE(svc_->delete_twin("p1", std::nullopt));
  sync_from_server();
  EXPECT_FALSE(cache_->get("p1"));
}

}  // namespace
}  // namespace iotwins::twins::testing
