// The agent's ingest stage: spool records (as the broker plugin writes them) → buffer streams.
#include "dataplane/spool_ingest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "dataplane/spool_record.h"
#include "wal/reader.h"
#include "wal/tail.h"

namespace iotwins::dataplane {
namespace {

class SpoolIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "dp_spool_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    auto w = wal::Wal::open(fs_, dir_ + "/spool", {.fsync = wal::FsyncPolicy::never});
    ASSERT_TRUE(w) << w.error().message();
    spool_ = std::move(*w);
    auto b = NodeBuffer::open(fs_, {.dir = dir_ + "/buffer"});
    ASSERT_TRUE(b) << b.error().message();
    buffer_ = std::move(*b);
  }
  void publish(std::string topic, std::string payload, int64_t received = kNow) {
    std::string rec;
    ASSERT_TRUE(encode_spool_record({received, 1, false, "dev-1", topic, payload}, rec));
    ASSERT_TRUE(spool_->append(rec));
  }
  std::vector<Record> records(std::string_view stream) {
    std::vector<Record> out;
    auto r = buffer_->stream(stream)->wal().reader(1);
    for (;;) {
      auto rec = (*r)->next();
      EXPECT_TRUE(rec);
      if (!*rec) break;
      out.push_back(decode_entry((**rec).payload)->record);
    }
    return out;
  }

  static constexpr int64_t kNow = 1'760'000'000'000'000'000;
  std::string dir_;
  PosixFileSystem& fs_ = PosixFileSystem::instance();
  std::unique_ptr<wal::Wal> spool_;
  std::unique_ptr<NodeBuffer> buffer_;
};

TEST_F(SpoolIngestTest, DecodesTopicsIntoStreamsAndAcknowledgesTheSpool) {
  publish("iotwins/pump-1/telemetry", R"({"temp":21.5,"motor":{"rpm":1450}})");
  publish("iotwins/pump-1/telemetry", R"({"ts":1760000000123,"temp":21.75})");
  publish("iotwins/pump-1/reported", R"({"mode":"auto"})");
  publish("iotwins/pump-1/events/alarm", R"({"code":7})");
  std::vector<std::pair<std::string, std::string>> errors;
  SpoolIngest ingest(fs_, {.spool_dir = dir_ + "/spool"}, *buffer_,
                     [&](const std::string& twin, const std::string& json) { errors.emplace_back(twin, json); });
  auto n = ingest.step();
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 4u);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(records(kTelemetryStream),
            (std::vector<Record>{Sample{"pump-1", "temp", kNow, 21.5}, Sample{"pump-1", "motor.rpm", kNow, 1450},
                                 Sample{"pump-1", "temp", 1'760'000'000'123'000'000, 21.75}}));
  EXPECT_EQ(records(kEventsStream),
            (std::vector<Record>{Event{"pump-1", "reported", kNow, R"({"mode":"auto"})"},
                                 Event{"pump-1", "alarm", kNow, R"({"code":7})"}}));
  auto acked = wal::read_external_offset(fs_, dir_ + "/spool", "agent");
  ASSERT_TRUE(acked && *acked);
  EXPECT_EQ(**acked, 4u);
  // Nothing new: nothing handled, nothing appended twice.
  EXPECT_EQ(*ingest.step(), 0u);
  EXPECT_EQ(records(kTelemetryStream).size(), 3u);
}

TEST_F(SpoolIngestTest, InvalidMessagesAreReportedAndDoNotStopIngest) {
  publish("iotwins/pump-1/telemetry", "not json");
  publish("iotwins/pump-1/telemetry", R"({"temp":"hot","rpm":5})");
  publish("iotwins/pump-1/reported", "[1,2]");
  publish("iotwins/bad twin/events/x", "{}");
  publish("factory/line1/raw", "{}");
  publish("iotwins/pump-2/telemetry", R"({"temp":1})");
  std::vector<std::pair<std::string, std::string>> errors;
  SpoolIngest ingest(fs_, {.spool_dir = dir_ + "/spool"}, *buffer_,
                     [&](const std::string& twin, const std::string& json) { errors.emplace_back(twin, json); });
  ASSERT_TRUE(ingest.step());
  auto st = ingest.stats();
  EXPECT_EQ(st.messages, 6u);
  EXPECT_EQ(st.invalid_messages, 3u);
  EXPECT_EQ(st.rejected_fields, 1u);
  EXPECT_EQ(st.unknown_topics, 1u);
  EXPECT_EQ(st.samples, 2u);
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[0].first, "pump-1");
  EXPECT_NE(errors[1].second.find("\"field\":\"temp\""), std::string::npos) << errors[1].second;
  EXPECT_NE(errors[2].second.find("must be a JSON object"), std::string::npos);
  EXPECT_EQ(records(kTelemetryStream),
            (std::vector<Record>{Sample{"pump-1", "rpm", kNow, 5}, Sample{"pump-2", "temp", kNow, 1}}));
  EXPECT_TRUE(records(kEventsStream).empty());
}

TEST_F(SpoolIngestTest, PlatformEventTypesAreRefusedFromDevices) {
  publish("iotwins/pump-1/events/$desired", R"({"desired":{"speed":1}})");
  publish("iotwins/pump-1/events/$attached", R"({"node":"evil"})");
  publish("iotwins/pump-1/events/alarm", R"({"code":1})");
  std::vector<std::pair<std::string, std::string>> errors;
  SpoolIngest ingest(fs_, {.spool_dir = dir_ + "/spool"}, *buffer_,
                     [&](const std::string& twin, const std::string& json) { errors.emplace_back(twin, json); });
  ASSERT_TRUE(ingest.step());
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].second.find("reserved for the platform"), std::string::npos) << errors[0].second;
  EXPECT_EQ(records(kEventsStream), (std::vector<Record>{Event{"pump-1", "alarm", kNow, R"({"code":1})"}}));
}

TEST_F(SpoolIngestTest, AttachesEachTwinOnceToTheNodeAndReportsReportedState) {
  SpoolIngest ingest(fs_, {.spool_dir = dir_ + "/spool"}, *buffer_);
  publish("iotwins/pump-1/telemetry", R"({"temp":1})");
  ASSERT_TRUE(ingest.step());  // before the node id is known: no attachment
  ingest.set_attach_node("edge-7");
  std::vector<std::string> seen;
  ingest.set_reported_observer([&](std::span<const Event> reported) {
    for (const auto& e : reported) seen.push_back(e.twin + " " + e.json + " " + std::to_string(e.ts_ns == kNow));
  });
  publish("iotwins/pump-1/telemetry", R"({"temp":2})");
  publish("iotwins/pump-2/reported", R"({"mode":"auto"})");
  publish("iotwins/pump-1/telemetry", R"({"temp":3})");
  ASSERT_TRUE(ingest.step());
  publish("iotwins/pump-2/reported", R"({"mode":"manual"})");
  ASSERT_TRUE(ingest.step());
  auto evs = records(kEventsStream);
  ASSERT_EQ(evs.size(), 4u);
  int attached = 0;
  for (const auto& r : evs) {
    const auto& e = std::get<Event>(r);
    if (e.type == "$attached") {
      ++attached;
      EXPECT_EQ(e.json, R"({"node":"edge-7"})");
    }
  }
  EXPECT_EQ(attached, 2);  // pump-1 and pump-2, once each
  EXPECT_EQ(seen, (std::vector<std::string>{R"(pump-2 {"mode":"auto"} 1)", R"(pump-2 {"mode":"manual"} 1)"}));
  // A new node id (re-registration) attaches again.
  ingest.set_attach_node("edge-8");
  publish("iotwins/pump-1/telemetry", R"({"temp":4})");
  ASSERT_TRUE(ingest.step());
  EXPECT_EQ(std::get<Event>(records(kEventsStream).back()).json, R"({"node":"edge-8"})");
}

// A device that published once in the agent's first moments, before its node id was known,
// and then stayed quiet: its twin is attached when the id is set, not never.
TEST_F(SpoolIngestTest, TwinsSeenBeforeTheNodeIdAreAttachedWhenItIsSet) {
  SpoolIngest ingest(fs_, {.spool_dir = dir_ + "/spool"}, *buffer_);
  publish("iotwins/valve-1/reported", R"({"position":10})");
  publish("iotwins/pump-1/telemetry", R"({"temp":1})");
  ASSERT_TRUE(ingest.step());
  ASSERT_EQ(records(kEventsStream).size(), 1u);  // the reported state, no attachment yet
  ingest.set_attach_node("edge-7");
  std::set<std::string> attached;
  for (const auto& r : records(kEventsStream)) {
    const auto& e = std::get<Event>(r);
    if (e.type == "$attached") {
      attached.insert(e.twin);
      EXPECT_EQ(e.json, R"({"node":"edge-7"})");
    }
  }
  EXPECT_EQ(attached, (std::set<std::string>{"pump-1", "valve-1"}));
  // Once: their next messages attach nothing more.
  publish("iotwins/valve-1/reported", R"({"position":11})");
  ASSERT_TRUE(ingest.step());
  EXPECT_EQ(records(kEventsStream).size(), 4u);
}

TEST_F(SpoolIngestTest, AFullBufferAcknowledgesNothingAndResumesLater) {
  buffer_.reset();
  auto b = NodeBuffer::open(fs_, {.dir = dir_ + "/small",
                                  .streams = {{.name = "telemetry", .max_bytes = 16 << 10},
                                              {.name = "events"}}});
  ASSERT_TRUE(b);
  buffer_ = std::move(*b);
  for (int i = 0; i < 400; ++i) publish("iotwins/pump-1/telemetry", R"({"a":1,"b":2,"c":3})", kNow + i);
  SpoolIngest ingest(fs_, {.spool_dir = dir_ + "/spool", .max_messages_per_step = 100}, *buffer_);
  Status last = ok();
  for (int i = 0; i < 10 && last; ++i) {
    auto n = ingest.step();
    if (!n) last = std::unexpected(n.error());
  }
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().code(), Errc::resource_exhausted);
  uint64_t acked = ingest.stats().acked_seq;
  EXPECT_LT(acked, 400u);
  // Every acknowledged message is in the buffer.
  EXPECT_EQ(records(kTelemetryStream).size(), acked * 3);
}

}  // namespace
}  // namespace iotwins::dataplane
