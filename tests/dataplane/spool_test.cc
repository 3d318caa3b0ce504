// The spool record codec and the plugin's logic (options, topic filters, SpoolWriter) without
// a broker; the real broker is in broker_plugin_test.cc.
#include <gtest/gtest.h>

#include <filesystem>

#include "dataplane/broker/spool_options.h"
#include "dataplane/broker/spool_writer.h"
#include "dataplane/spool_record.h"
#include "testing/fault_fs.h"
#include "wal/reader.h"
#include "wal/tail.h"

namespace iotwins::dataplane {
namespace {

using broker::FullPolicy;
using broker::SpoolOptions;
using broker::SpoolWriter;
using broker::Verdict;

std::string fresh_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = ::testing::TempDir() + "spool_test/" + info->test_suite_name() + "." + info->name();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(SpoolRecord, RoundTrips) {
  std::string bytes;
  SpoolRecord in{.received_ns = 1700000000123456789, .qos = 1, .retain = true,
                 .client_id = "dev-1", .topic = "iotwins/pump-1/telemetry",
                 .payload = std::string_view("{\"a\":1}\0x", 9)};
  ASSERT_TRUE(encode_spool_record(in, bytes));
  EXPECT_EQ(bytes.size(), spool_record_size(in));
  auto out = decode_spool_record(bytes);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ(out->received_ns, in.received_ns);
  EXPECT_EQ(out->qos, 1);
  EXPECT_TRUE(out->retain);
  EXPECT_EQ(out->client_id, "dev-1");
  EXPECT_EQ(out->topic, in.topic);
  EXPECT_EQ(out->payload, in.payload);
}

TEST(SpoolRecord, DecodingIsStrict) {
  std::string good;
  ASSERT_TRUE(encode_spool_record({.qos = 2, .client_id = "", .topic = "t", .payload = "p"}, good));
  ASSERT_TRUE(decode_spool_record(good));
  auto expect_bad = [](std::string bytes, std::string_view what) {
    auto r = decode_spool_record(bytes);
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(r.error().code(), Errc::invalid_argument);
    EXPECT_NE(r.error().message().find(what), std::string::npos) << r.error().message();
  };
  expect_bad(good.substr(0, 5), "cut short");
  expect_bad(good.substr(0, good.size() - 1), "lengths");
  expect_bad(good + "x", "lengths");
  std::string v = good;
  v[0] = 2;
  expect_bad(v, "version");
  std::string q = good;
  q[1] = 6;  // qos 3
  expect_bad(q, "qos");
  std::string f = good;
  f[1] = 0x10;
  expect_bad(f, "flag");
  std::string huge = good;
  huge[14] = '\xff';  // payload length far beyond the record
  expect_bad(huge, "lengths");
  EXPECT_FALSE(encode_spool_record({.qos = 3, .topic = "t"}, v));
  EXPECT_FALSE(encode_spool_record({.topic = ""}, v));
}

TEST(SpoolOptions, DefaultsAndEveryKey) {
  auto d = broker::parse_spool_options({{"spool_dir", "/x"}});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->fsync, wal::FsyncPolicy::periodic);
  EXPECT_EQ(d->full_policy, FullPolicy::reject);
  EXPECT_EQ(d->topics.size(), 3u);
  auto o = broker::parse_spool_options({{"spool_dir", "/x"}, {"fsync", "always"},
                                        {"sync_interval_ms", "5"}, {"max_bytes", "65536"},
                                        {"full_policy", "drop_oldest"}, {"max_payload", "100"},
                                        {"extra_topics", "plant/+/pump  line/#"}});
  ASSERT_TRUE(o) << o.error().to_string();
  EXPECT_EQ(o->fsync, wal::FsyncPolicy::always);
  EXPECT_EQ(o->sync_interval, std::chrono::milliseconds(5));
  EXPECT_EQ(o->max_bytes, 65536u);
  EXPECT_EQ(o->full_policy, FullPolicy::drop_oldest);
  EXPECT_EQ(o->max_payload, 100u);
  EXPECT_EQ(o->topics.size(), 5u);
  auto t = broker::parse_spool_options({{"spool_dir", "/x"}, {"topics", "a/b"}});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->topics, std::vector<std::string>{"a/b"});
}

TEST(SpoolOptions, BadValuesNameTheKey) {
  auto bad = [](std::vector<std::pair<std::string, std::string>> kv, std::string_view key) {
    auto r = broker::parse_spool_options(kv);
    ASSERT_FALSE(r) << key;
    EXPECT_EQ(r.error().code(), Errc::invalid_argument);
    EXPECT_NE(r.error().message().find(key), std::string::npos) << r.error().message();
  };
  bad({}, "plugin_opt_spool_dir");
  bad({{"spool_dir", "/x"}, {"fsync", "never"}}, "plugin_opt_fsync");
  bad({{"spool_dir", "/x"}, {"sync_interval_ms", "0"}}, "plugin_opt_sync_interval_ms");
  bad({{"spool_dir", "/x"}, {"max_bytes", "12k"}}, "plugin_opt_max_bytes");
  bad({{"spool_dir", "/x"}, {"full_policy", "block"}}, "plugin_opt_full_policy");
  bad({{"spool_dir", "/x"}, {"max_payload", "-1"}}, "plugin_opt_max_payload");
  bad({{"spool_dir", "/x"}, {"topics", "a/#/b"}}, "plugin_opt_topics");
  bad({{"spool_dir", "/x"}, {"extra_topics", "a/b+"}}, "plugin_opt_extra_topics");
  bad({{"spool_dir", "/x"}, {"colour", "red"}}, "plugin_opt_colour");
}

TEST(TopicFilter, MatchesLikeMqtt) {
  using broker::topic_matches;
  EXPECT_TRUE(topic_matches("iotwins/+/telemetry", "iotwins/pump-1/telemetry"));
  EXPECT_FALSE(topic_matches("iotwins/+/telemetry", "iotwins/pump-1/telemetry/x"));
  EXPECT_FALSE(topic_matches("iotwins/+/telemetry", "iotwins/telemetry"));
  EXPECT_FALSE(topic_matches("iotwins/+/telemetry", "iotwins/pump-1/desired/delta"));
  EXPECT_TRUE(topic_matches("iotwins/+/events/#", "iotwins/p/events/alarm/high"));
  EXPECT_TRUE(topic_matches("iotwins/+/events/#", "iotwins/p/events"));
  EXPECT_FALSE(topic_matches("iotwins/+/events/#", "iotwins/p/eventsx"));
  EXPECT_TRUE(topic_matches("#", "a/b"));
  EXPECT_FALSE(topic_matches("#", "$SYS/broker/load"));
  EXPECT_TRUE(topic_matches("a/+", "a/"));
  EXPECT_FALSE(topic_matches("a/b", "a/b/"));
  EXPECT_TRUE(broker::validate_topic_filter("a/+/#"));
  EXPECT_FALSE(broker::validate_topic_filter("a/#/b"));
  EXPECT_FALSE(broker::validate_topic_filter("a+"));
  EXPECT_FALSE(broker::validate_topic_filter(""));
}

class SpoolWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fresh_dir(); }
  std::unique_ptr<SpoolWriter> open(SpoolOptions o) {
    o.spool_dir = dir_;
    auto w = SpoolWriter::open(fs_, std::move(o), [this](int, const std::string& m) {
      logs_.push_back(m);
    });
    EXPECT_TRUE(w) << w.error().to_string();
    return w ? std::move(*w) : nullptr;
  }
  std::vector<std::string> spooled_payloads(wal::Wal& wal) {
    std::vector<std::string> out;
    auto reader = wal.reader(1);
    while (true) {
      auto r = (*reader)->next();
      EXPECT_TRUE(r);
      if (!r || !*r) return out;
      auto rec = decode_spool_record((*r)->payload);
      EXPECT_TRUE(rec);
      if (rec) out.emplace_back(rec->payload);
    }
  }
  std::string dir_;
  FaultInjectingFileSystem fs_{PosixFileSystem::instance(), /*forward_syncs=*/false};
  std::vector<std::string> logs_;
};

TEST_F(SpoolWriterTest, SpoolsMatchingTopicsOnly) {
  auto w = open({});
  ASSERT_TRUE(w);
  EXPECT_EQ(w->on_message("dev-1", "iotwins/p1/telemetry", "{\"t\":1}", 1, false), Verdict::spooled);
  EXPECT_EQ(w->on_message("dev-1", "iotwins/p1/events/alarm", "{}", 1, true), Verdict::spooled);
  EXPECT_EQ(w->on_message("dev-1", "iotwins/p1/desired/delta", "{}", 1, false), Verdict::ignored);
  EXPECT_EQ(w->on_message("dev-1", "plant/x", "{}", 0, false), Verdict::ignored);
  EXPECT_EQ(w->counters().spooled, 2u);
  EXPECT_EQ(w->counters().ignored, 2u);
  auto reader = w->wal()->reader(1);
  auto first = (*reader)->next();
  ASSERT_TRUE(first && *first);
  auto rec = decode_spool_record((*first)->payload);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->client_id, "dev-1");
  EXPECT_EQ(rec->topic, "iotwins/p1/telemetry");
  EXPECT_EQ(rec->payload, "{\"t\":1}");
  EXPECT_EQ(rec->qos, 1);
  EXPECT_FALSE(rec->retain);
  EXPECT_GT(rec->received_ns, 0);
}

TEST_F(SpoolWriterTest, OversizedPayloadIsRefusedForGood) {
  auto w = open({.max_payload = 10});
  ASSERT_TRUE(w);
  EXPECT_EQ(w->on_message("d", "iotwins/p/telemetry", std::string(11, 'x'), 1, false),
            Verdict::too_large);
  EXPECT_EQ(w->on_message("d", "iotwins/p/telemetry", std::string(10, 'x'), 1, false),
            Verdict::spooled);
  EXPECT_EQ(w->counters().too_large, 1u);
  EXPECT_EQ(w->wal()->committed_seq(), 1u);
  ASSERT_FALSE(logs_.empty());
  EXPECT_NE(logs_[0].find("max_payload"), std::string::npos);
}

TEST_F(SpoolWriterTest, FullSpoolRefusesUnderRejectAndLogsRateLimited) {
  auto w = open({.max_bytes = 8192});
  ASSERT_TRUE(w);
  int refused = 0;
  for (int i = 0; i < 300; ++i) {
    std::string payload = "{\"i\":" + std::to_string(i) + ",\"v\":[1,2,3,4,5,6,7,8,9,10]}";
    if (w->on_message("d", "iotwins/p/telemetry", payload, 1, false) == Verdict::refuse) ++refused;
  }
  EXPECT_GT(refused, 100);
  EXPECT_EQ(w->counters().refused_full, static_cast<uint64_t>(refused));
  EXPECT_EQ(w->counters().spooled + refused, 300u);
  EXPECT_LE(w->wal()->stats().bytes, 8192u);
  EXPECT_LE(logs_.size(), 3u) << "at most one message per second and kind";
  auto payloads = spooled_payloads(*w->wal());
  ASSERT_EQ(payloads.size(), w->counters().spooled);
  EXPECT_EQ(payloads.front().substr(0, 7), "{\"i\":0,");
}

TEST_F(SpoolWriterTest, DropOldestMakesRoomAndCountsTheDrops) {
  auto w = open({.max_bytes = 8192, .full_policy = FullPolicy::drop_oldest});
  ASSERT_TRUE(w);
  for (int i = 0; i < 300; ++i) {
    std::string payload = "{\"i\":" + std::to_string(i) + ",\"v\":[1,2,3,4,5,6,7,8,9,10]}";
    ASSERT_EQ(w->on_message("d", "iotwins/p/telemetry", payload, 1, false), Verdict::spooled) << i;
  }
  EXPECT_GT(w->counters().dropped, 100u);
  auto payloads = spooled_payloads(*w->wal());
  EXPECT_EQ(payloads.size() + w->counters().dropped, 300u);
  EXPECT_EQ(payloads.back().substr(0, 9), "{\"i\":299,");
}

TEST_F(SpoolWriterTest, FailedFsyncRefusesUntilTheTickReopensTheSpool) {
  auto w = open({.fsync = wal::FsyncPolicy::always});
  ASSERT_TRUE(w);
  ASSERT_EQ(w->on_message("d", "iotwins/p/telemetry", "1", 1, false), Verdict::spooled);
  fs_.fail_next_syncs(1);
  EXPECT_EQ(w->on_message("d", "iotwins/p/telemetry", "2", 1, false), Verdict::refuse);
  EXPECT_EQ(w->on_message("d", "iotwins/p/telemetry", "2", 1, false), Verdict::refuse);
  EXPECT_EQ(w->counters().refused_error, 2u);
  w->tick();
  EXPECT_EQ(w->counters().reopened, 1u);
  EXPECT_EQ(w->on_message("d", "iotwins/p/telemetry", "2", 1, false), Verdict::spooled);
  auto payloads = spooled_payloads(*w->wal());
  EXPECT_EQ(payloads.back(), "2");
}

TEST_F(SpoolWriterTest, TickAppliesConsumerOffsetsAndWritesStats) {
  auto w = open({.max_bytes = 65536});
  ASSERT_TRUE(w);
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(w->on_message("d", "iotwins/p/telemetry", std::string(100, 'x'), 1, false),
              Verdict::spooled);
  }
  ASSERT_TRUE(wal::commit_external_offset(fs_, dir_, "agent", 200));
  w->tick();
  EXPECT_GT(w->wal()->stats().first_seq, 100u);
  auto stats = fs_.read_file(dir_ + "/broker.stats");
  ASSERT_TRUE(stats);
  EXPECT_NE(stats->find("\"spooled\":200,"), std::string::npos) << *stats;
}

}  // namespace
}  // namespace iotwins::dataplane
