// The plugin inside the real Mosquitto (/usr/sbin/mosquitto) on a free loopback port: QoS 1
// publishes from libmosquitto clients, kill -9 of the broker, then the spool read back with the
// TailReader the agent uses.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "dataplane/spool_record.h"
#include "mqtt_harness.h"
#include "wal/tail.h"

namespace iotwins::dataplane {
namespace {

using namespace std::chrono_literals;
using testing::Broker;
using testing::eventually;
using testing::Publisher;

std::string fresh_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir =
      ::testing::TempDir() + "broker_test/" + info->test_suite_name() + "." + info->name();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

struct Spooled {
  std::string client, topic, payload;
};

// Every record of the spool, decoded; fails the test on any corruption.
std::vector<Spooled> read_spool(const std::string& dir) {
  std::vector<Spooled> out;
  auto tail = wal::TailReader::open(PosixFileSystem::instance(), dir, 1, {.max_record_bytes = 1 << 20});
  EXPECT_TRUE(tail);
  if (!tail) return out;
  auto first = (*tail)->first_available_seq();
  EXPECT_TRUE(first);
  (*tail)->seek(*first);
  while (true) {
    auto r = (*tail)->next();
    EXPECT_TRUE(r) << r.error().to_string();
    if (!r || !*r) return out;
    auto rec = decode_spool_record((*r)->payload);
    EXPECT_TRUE(rec) << rec.error().to_string();
    if (!rec) return out;
    out.push_back({std::string(rec->client_id), std::string(rec->topic), std::string(rec->payload)});
  }
}

std::string telemetry(uint64_t i) { return testing::telemetry_payload(i); }
uint64_t seq_of(const std::string& payload) { return testing::telemetry_seq(payload); }

// The broker.stats counter `key` (the plugin rewrites the file about every second).
uint64_t stat(const std::string& spool, const std::string& key) {
  auto text = PosixFileSystem::instance().read_file(spool + "/broker.stats");
  if (!text) return 0;
  auto at = text->find("\"" + key + "\":");
  if (at == std::string::npos) return 0;
  return std::stoull(text->substr(at + key.size() + 3));
}

class BrokerPlugin : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    dir_ = fresh_dir();
    spool_ = dir_ + "/spool";
  }
  Broker start(std::vector<std::pair<std::string, std::string>> options) {
    options.insert(options.begin(), {"spool_dir", spool_});
    auto b = Broker::start({.dir = dir_, .plugin = IOTWINS_BROKER_PLUGIN, .plugin_options = options});
    EXPECT_TRUE(b) << b.error().to_string();
    return b ? std::move(*b) : Broker();
  }
  // Publishes messages 1, 2, ... while the window has room, until the plugin reports a
  // refusal; returns the index of the next message to publish (nullopt: no refusal).
  std::optional<uint64_t> publish_until_refused(Publisher& p, const std::string& topic,
                                                uint64_t max) {
    uint64_t i = 1;
    bool refused = eventually([&] {
      while (i <= max && p.publish(topic, telemetry(i), i, 0ms)) ++i;
      return stat(spool_, "refused_full") > 0;
    });
    if (!refused) return std::nullopt;
    return i;
  }
  std::string dir_, spool_;
};

TEST_P(BrokerPlugin, EveryAcknowledgedPublishIsSpooledOnceInOrderAndSurvivesKill9) {
  const uint64_t n = std::string(GetParam()) == "always" ? 300 : 3000;
  Broker broker = start({{"fsync", GetParam()}});
  {
    Publisher a("dev-a", broker.port(), 50), b("dev-b", broker.port(), 50);
    ASSERT_TRUE(a.connected() && b.connected());
    for (uint64_t i = 1; i <= n; ++i) {
      ASSERT_TRUE(a.publish("iotwins/pump-a/telemetry", telemetry(i), i));
      ASSERT_TRUE(b.publish("iotwins/pump-b/telemetry", telemetry(i), i));
      if (i % 100 == 0) {
        ASSERT_TRUE(a.publish("plant/line-1/raw", "not spooled", 0));
        ASSERT_TRUE(b.publish("iotwins/pump-b/desired/delta", "{}", 0));
      }
    }
    ASSERT_TRUE(a.wait_all_acked(60s) && b.wait_all_acked(60s));
    EXPECT_EQ(a.disconnects() + b.disconnects(), 0u);
  }
  broker.kill9();
  auto spooled = read_spool(spool_);
  std::map<std::string, std::vector<uint64_t>> per_client;
  for (const auto& s : spooled) {
    EXPECT_EQ(s.topic.find("iotwins/pump-"), 0u) << "not a device topic: " << s.topic;
    EXPECT_NE(s.topic.find("/telemetry"), std::string::npos) << s.topic;
    per_client[s.client].push_back(seq_of(s.payload));
  }
  ASSERT_EQ(per_client.size(), 2u);
  for (const auto& [client, seqs] : per_client) {
    // Every message was acknowledged: each is there once, in publish order.
    ASSERT_EQ(seqs.size(), n) << client;
    for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(seqs[i], i + 1) << client;
  }
}

INSTANTIATE_TEST_SUITE_P(Fsync, BrokerPlugin, ::testing::Values("periodic", "always"));

TEST_F(BrokerPlugin, FullSpoolUnderRejectLeavesPublishesUnacknowledgedAndIntact) {
  Broker broker = start({{"max_bytes", "16384"}, {"full_policy", "reject"}});
  constexpr uint64_t kSent = 400;
  {
    Publisher p("dev-r", broker.port(), 20);
    ASSERT_TRUE(p.connected());
    ASSERT_TRUE(publish_until_refused(p, "iotwins/pump-r/telemetry", kSent)) << broker.log();
    auto acked = p.acked();
    EXPECT_LT(acked.size(), kSent);
    broker.kill9();
    auto spooled = read_spool(spool_);
    std::set<uint64_t> in_spool;
    for (const auto& s : spooled) EXPECT_TRUE(in_spool.insert(seq_of(s.payload)).second);
    for (uint64_t i : acked) EXPECT_TRUE(in_spool.contains(i)) << "acknowledged " << i << " lost";
    EXPECT_LE(spooled.size(), 16384u / 150);
    EXPECT_NE(broker.log().find("refusing a message from dev-r unacknowledged"), std::string::npos);
  }
  // Nothing is corrupted: the spool reopens and takes records again.
  auto wal = wal::Wal::open(PosixFileSystem::instance(), spool_, {.max_total_bytes = 1 << 20});
  ASSERT_TRUE(wal) << wal.error().to_string();
  EXPECT_TRUE((*wal)->append("more"));
}

// The device side of "refused unacknowledged": once a consumer frees space, the messages the
// device resends after its reconnect get in, and every message reaches the spool at least
// once, first occurrences in publish order.
TEST_F(BrokerPlugin, RefusedPublishesGetInOnceAConsumerFreesSpace) {
  Broker broker = start({{"max_bytes", "16384"}, {"full_policy", "reject"}});
  constexpr uint64_t kSent = 400;
  Publisher p("dev-s", broker.port(), 20);
  ASSERT_TRUE(p.connected());
  auto refused_at = publish_until_refused(p, "iotwins/pump-s/telemetry", kSent);
  ASSERT_TRUE(refused_at) << broker.log();
  uint64_t i = *refused_at;

  // The agent's side: tail the spool, acknowledge what was read.
  std::vector<uint64_t> seen;
  std::atomic<uint64_t> distinct{0};
  std::atomic<bool> stop{false};
  std::thread consumer([&] {
    auto tail = wal::TailReader::open(PosixFileSystem::instance(), spool_, 1);
    ASSERT_TRUE(tail);
    while (!stop) {
      auto r = (*tail)->next();
      ASSERT_TRUE(r) << r.error().to_string();
      if (!*r) {
        std::this_thread::sleep_for(1ms);  // poll interval
        continue;
      }
      auto rec = decode_spool_record((**r).payload);
      ASSERT_TRUE(rec);
      uint64_t index = seq_of(std::string(rec->payload));
      if (std::find(seen.begin(), seen.end(), index) == seen.end()) ++distinct;
      seen.push_back(index);
      ASSERT_TRUE(wal::commit_external_offset(PosixFileSystem::instance(), spool_, "agent",
                                              (**r).seq));
    }
  });
  for (; i <= kSent; ++i) ASSERT_TRUE(p.publish("iotwins/pump-s/telemetry", telemetry(i), i));
  EXPECT_TRUE(p.wait_all_acked(60s)) << broker.log();
  EXPECT_GT(p.disconnects(), 0u) << "a refusal closes the device's connection";
  // Every acknowledged message reaches the consumer.
  EXPECT_TRUE(eventually([&] { return distinct.load() == kSent; })) << distinct.load();
  stop = true;
  consumer.join();
  std::set<uint64_t> first;
  uint64_t last_first = 0;
  for (uint64_t s : seen) {
    if (first.insert(s).second) {
      EXPECT_GT(s, last_first) << "first occurrences out of order";
      last_first = s;
    }
  }
  EXPECT_EQ(first.size(), kSent);
  EXPECT_GT((*wal::TailReader::open(PosixFileSystem::instance(), spool_, 1))->first_available_seq().value(), 1u)
      << "acknowledged segments were deleted";
}

TEST_F(BrokerPlugin, DropOldestAcknowledgesEverythingAndCountsTheDrops) {
  Broker broker = start({{"max_bytes", "16384"}, {"full_policy", "drop_oldest"}});
  constexpr uint64_t kSent = 600;
  Publisher p("dev-d", broker.port(), 20);
  ASSERT_TRUE(p.connected());
  for (uint64_t i = 1; i <= kSent; ++i) ASSERT_TRUE(p.publish("iotwins/pump-d/telemetry", telemetry(i), i));
  ASSERT_TRUE(p.wait_all_acked(60s));
  ASSERT_TRUE(eventually([&] { return stat(spool_, "spooled") == kSent; })) << broker.log();
  uint64_t dropped = stat(spool_, "dropped");
  EXPECT_GT(dropped, 0u);
  broker.kill9();
  auto spooled = read_spool(spool_);
  EXPECT_EQ(spooled.size() + dropped, kSent);
  ASSERT_FALSE(spooled.empty());
  EXPECT_EQ(seq_of(spooled.back().payload), kSent);
  for (size_t i = 1; i < spooled.size(); ++i) {
    EXPECT_EQ(seq_of(spooled[i].payload), seq_of(spooled[i - 1].payload) + 1);
  }
}

TEST_F(BrokerPlugin, OversizedPayloadIsAcknowledgedButNeitherSpooledNorDelivered) {
  Broker broker = start({{"max_payload", "200"}});
  testing::Counter counter(broker.port(), "iotwins/#");
  ASSERT_TRUE(counter.subscribed());
  Publisher p("dev-big", broker.port(), 10);
  ASSERT_TRUE(p.connected());
  ASSERT_TRUE(p.publish("iotwins/pump-x/telemetry", std::string(201, 'x'), 1));
  ASSERT_TRUE(p.publish("iotwins/pump-x/telemetry", telemetry(2), 2));
  ASSERT_TRUE(p.wait_all_acked(30s));
  ASSERT_TRUE(eventually([&] { return counter.count() >= 1; }));
  ASSERT_TRUE(eventually([&] { return stat(spool_, "too_large") == 1; })) << broker.log();
  EXPECT_EQ(counter.count(), 1u);
  broker.kill9();
  auto spooled = read_spool(spool_);
  ASSERT_EQ(spooled.size(), 1u);
  EXPECT_EQ(seq_of(spooled[0].payload), 2u);
}

TEST_F(BrokerPlugin, BadOptionStopsTheBrokerWithAMessageNamingIt) {
  auto b = Broker::start({.dir = dir_, .plugin = IOTWINS_BROKER_PLUGIN,
                          .plugin_options = {{"spool_dir", spool_}, {"fsync", "sometimes"}}});
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message().find("plugin_opt_fsync"), std::string::npos) << b.error().message();
}

}  // namespace
}  // namespace iotwins::dataplane
