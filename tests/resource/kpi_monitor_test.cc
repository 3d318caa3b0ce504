// The Resource Monitor's logic: KPI points from a heartbeat, threshold rules and their
// hysteresis, with a manual clock; and the registry's heartbeat observer.
#include "resource/kpi_monitor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <limits>

#include "resource/node_registry.h"

namespace iotwins::resource {
namespace {

model::NodeKpis kpis(double disk_used_percent) {
  model::NodeKpis k;
  k.cpu_percent = 12.5;
  k.load1 = 0.75;
  k.memory_used_bytes = 3000;
  k.memory_available_bytes = 1000;
  k.disk_used_bytes = static_cast<uint64_t>(disk_used_percent * 10);
  k.disk_free_bytes = 1000 - k.disk_used_bytes;
  k.net_rx_rate = 100;
  k.net_tx_rate = 50;
  return k;
}

double value_of(const std::vector<KpiPoint>& points, const std::string& kpi, const std::string& stream = "") {
  for (const auto& p : points) {
    if (p.kpi == kpi && p.stream == stream) return p.value;
  }
  ADD_FAILURE() << "no point " << kpi << " " << stream;
  return -1;
}

TEST(KpiPoints, NodeWideAndPerStreamValues) {
  model::NodeKpis k = kpis(40);
  model::BufferKpis b;
  b.stream = "telemetry";
  b.backlog_records = 7;
  b.bytes = 300;
  b.max_bytes = 400;
  b.oldest_age_ms = 1500;
  k.buffers.push_back(b);
  b.stream = "unbounded";
  b.max_bytes = 0;
  k.buffers.push_back(b);
  auto points = kpi_points(k);
  EXPECT_EQ(value_of(points, "cpu_percent"), 12.5);
  EXPECT_EQ(value_of(points, "load1"), 0.75);
  EXPECT_EQ(value_of(points, "memory_total_bytes"), 4000);
  EXPECT_EQ(value_of(points, "memory_used_percent"), 75);
  EXPECT_EQ(value_of(points, "disk_used_percent"), 40);
  EXPECT_EQ(value_of(points, "disk_total_bytes"), 1000);
  EXPECT_EQ(value_of(points, "net_tx_rate"), 50);
  EXPECT_EQ(value_of(points, "buffer_backlog_records", "telemetry"), 7);
  EXPECT_EQ(value_of(points, "buffer_saturation_percent", "telemetry"), 75);
  EXPECT_EQ(value_of(points, "buffer_oldest_age_ms", "telemetry"), 1500);
  // A stream without a size limit has no saturation; an empty disk total has no percentage.
  for (const auto& p : points) EXPECT_FALSE(p.kpi == "buffer_saturation_percent" && p.stream == "unbounded");
  model::NodeKpis empty;
  for (const auto& p : kpi_points(empty)) {
    EXPECT_NE(p.kpi, "disk_used_percent");
    EXPECT_NE(p.kpi, "memory_used_percent");
  }
  for (const auto& p : points) {
    EXPECT_NE(std::find(kpi_names().begin(), kpi_names().end(), p.kpi), kpi_names().end()) << p.kpi;
  }
}

TEST(ThresholdRules, ParseDefaultsAndCustom) {
  auto d = parse_threshold_rules(kDefaultThresholdRules);
  ASSERT_TRUE(d) << d.error().to_string();
  ASSERT_EQ(d->size(), 3u);
  EXPECT_EQ((*d)[0], (ThresholdRule{"disk_used_percent", 90, 85}));
  EXPECT_EQ((*d)[2], (ThresholdRule{"buffer_saturation_percent", 80, 70}));
  auto c = parse_threshold_rules(" cpu_percent>50 , load1>4/2.5");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ((*c)[0], (ThresholdRule{"cpu_percent", 50, 45}));  // CLEAR defaults to 90 % of LIMIT
  EXPECT_EQ((*c)[1], (ThresholdRule{"load1", 4, 2.5}));
  EXPECT_TRUE(parse_threshold_rules("none")->empty());
  EXPECT_TRUE(parse_threshold_rules("")->empty());
}

TEST(ThresholdRules, BadRulesSayWhatIsWrong) {
  auto expect_error = [](std::string_view text, std::string_view part) {
    auto r = parse_threshold_rules(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code(), Errc::invalid_argument);
    EXPECT_NE(r.error().message().find(part), std::string::npos) << r.error().message();
  };
  expect_error("disk_used_percent=90", "expected KPI>LIMIT[/CLEAR]");
  expect_error("disk_percent>90", "unknown KPI 'disk_percent' (known: cpu_percent");
  expect_error("disk_used_percent>ninety", "LIMIT must be a number, got 'ninety'");
  expect_error("disk_used_percent>90/", "CLEAR must be a number");
  expect_error("disk_used_percent>90/95", "CLEAR must not be above LIMIT");
  expect_error("load1>2,load1>3", "name KPI 'load1' twice");
  expect_error("disk_used_percent>inf", "LIMIT must be a number");
}

TEST(KpiMonitor, RaisesOnceAndClearsBelowTheClearLevel) {
  ManualClock clock{1'000};
  KpiMonitor m(*parse_threshold_rules("disk_used_percent>90/85"), clock);
  auto observe = [&](double disk) { return m.observe("edge-1", kpi_points(kpis(disk))); };
  EXPECT_TRUE(observe(50).empty());
  EXPECT_TRUE(observe(90).empty());  // at the limit is not over it
  clock.advance(std::chrono::seconds(5));
  auto up = observe(91);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_TRUE(up[0].raised);
  EXPECT_EQ(up[0].node, "edge-1");
  EXPECT_EQ(up[0].kpi, "disk_used_percent");
  EXPECT_EQ(up[0].value, 91);
  EXPECT_EQ(up[0].limit, 90);
  EXPECT_EQ(up[0].clear, 85);
  EXPECT_EQ(up[0].at_ns, 1'000 + 5'000'000'000);
  EXPECT_EQ(m.raised_count(), 1u);
  // Staying over, or dipping inside the hysteresis band, reports nothing.
  EXPECT_TRUE(observe(99).empty());
  EXPECT_TRUE(observe(87).empty());
  EXPECT_TRUE(observe(95).empty());
  auto down = observe(85);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_FALSE(down[0].raised);
  EXPECT_EQ(down[0].value, 85);
  EXPECT_EQ(m.raised_count(), 0u);
  EXPECT_TRUE(observe(80).empty());
  EXPECT_EQ(observe(92).size(), 1u);  // a new crossing after clearing is reported again
}

TEST(KpiMonitor, NodesAndStreamsAreTrackedSeparately) {
  ManualClock clock;
  KpiMonitor m(*parse_threshold_rules("buffer_saturation_percent>80/70,memory_used_percent>95"), clock);
  std::vector<KpiPoint> edge = {{"buffer_saturation_percent", "telemetry", 85},
                                {"buffer_saturation_percent", "events", 10},
                                {"memory_used_percent", "", 96}};
  auto first = m.observe("edge-1", edge);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].stream, "telemetry");
  EXPECT_EQ(first[1].kpi, "memory_used_percent");
  EXPECT_TRUE(m.observe("edge-1", edge).empty());
  // Another node with the same values crosses on its own.
  EXPECT_EQ(m.observe("edge-2", edge).size(), 2u);
  edge[0].value = 60;
  edge[1].value = 90;
  auto second = m.observe("edge-1", edge);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_FALSE(second[0].raised);
  EXPECT_EQ(second[0].stream, "telemetry");
  EXPECT_TRUE(second[1].raised);
  EXPECT_EQ(second[1].stream, "events");
  EXPECT_EQ(m.raised_count(), 4u);  // edge-1: events, memory; edge-2: telemetry, memory
}

TEST(KpiMonitor, IgnoresNaNAndKpisWithoutRules) {
  ManualClock clock;
  KpiMonitor m(*parse_threshold_rules("cpu_percent>50"), clock);
  std::vector<KpiPoint> pts = {{"cpu_percent", "", std::numeric_limits<double>::quiet_NaN()}, {"load1", "", 1e9}};
  EXPECT_TRUE(m.observe("n", pts).empty());
  KpiMonitor none(*parse_threshold_rules("none"), clock);
  EXPECT_TRUE(none.observe("n", kpi_points(kpis(99))).empty());
}

TEST(NodeRegistryObserver, SeesEveryAcceptedHeartbeat) {
  std::string path = ::testing::TempDir() + "kpi_observer.db";
  for (const char* s : {"", "-wal", "-shm"}) std::remove((path + s).c_str());
  auto db = storage::open_sqlite(path);
  ASSERT_TRUE(db);
  ManualClock clock{5'000};
  auto reg = NodeRegistry::open(**db, clock);
  ASSERT_TRUE(reg);
  std::vector<model::Node> seen;
  (*reg)->on_heartbeat([&](const model::Node& n) { seen.push_back(n); });
  model::NodeRegistration r;
  r.name = "edge-a";
  auto node = (*reg)->register_node(r);
  ASSERT_TRUE(node);
  EXPECT_TRUE(seen.empty());  // registration is not a heartbeat
  model::Heartbeat hb;
  hb.kpis = kpis(42);
  ASSERT_TRUE((*reg)->heartbeat(node->id, hb));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].id, node->id);
  EXPECT_EQ(seen[0].last_seen_ns, 5'000);
  ASSERT_TRUE(seen[0].kpis);
  EXPECT_EQ(seen[0].kpis->cpu_percent, 12.5);
  EXPECT_FALSE((*reg)->heartbeat("nobody", hb));
  EXPECT_EQ(seen.size(), 1u);  // a refused heartbeat is not observed
}

}  // namespace
}  // namespace iotwins::resource
