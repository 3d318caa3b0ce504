// Micro-benchmarks of the pure twin code: shadow updates and query evaluation.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "twin/codec.h"
#include "twin/document.h"
#include "twin/hierarchy.h"
#include "twin/query.h"

namespace {

using iotwins::twin::TwinDocument;
using nlohmann::json;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

// A pump twin of realistic size: ~20 reported values (some nested), 5 desired.
TwinDocument make_pump(int i) {
  auto doc = *iotwins::twin::make_twin("pump-" + std::to_string(i), i % 4 == 0 ? "Pump" : "Valve",
                                       iotwins::twin::Level::iot,
                                       "line-" + std::to_string(i % 10), json{{"serial", i}}, kT0);
  json reported = {{"temperature", 60 + i % 40}, {"speed", 1400}, {"vibration", 0.12},
                   {"health", "ok"},             {"running", true}, {"firmware", "1.4.2"},
                   {"inlet", {{"pressure", 2.1}, {"flow", 12.5}}},
                   {"outlet", {{"pressure", 3.4}, {"flow", 12.4}}},
                   {"motor", {{"current", 11.2}, {"voltage", 400}, {"power", 4.4}}},
                   {"counters", {{"starts", 1234}, {"hours", 5678}}},
                   {"alarms", json::array()}};
  json desired = {{"speed", 1500}, {"mode", "auto"}, {"setpoint", {{"pressure", 3.5}}}};
  (void)iotwins::twin::apply_update(doc, {.desired = desired, .reported = reported}, kT0);
  return doc;
}

const char* kUpdateText =
    R"({"state":{"reported":{"temperature":81.5,"speed":1480,"motor":{"current":11.6}}}})";

void BM_ApplyReportedUpdate(benchmark::State& state) {
  TwinDocument doc = make_pump(1);
  json reported = json::parse(kUpdateText)["state"]["reported"];
  int64_t now = kT0;
  double t = 70;
  for (auto _ : state) {
    reported["temperature"] = t;  // a new value each time, as a device would send
    t = t > 90 ? 70 : t + 0.5;
    auto r = iotwins::twin::apply_update(doc, {.reported = reported}, now += 1'000'000);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ApplyReportedUpdate);

// The whole path a REST/MQTT update takes here: bounded parse, request shape, apply.
void BM_ApplyUpdateFromText(benchmark::State& state) {
  TwinDocument doc = make_pump(1);
  int64_t now = kT0;
  for (auto _ : state) {
    auto body = iotwins::twin::parse_json_text(kUpdateText);
    auto update = iotwins::twin::parse_update(*body);
    auto r = iotwins::twin::apply_update(doc, *update, now += 1'000'000);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ApplyUpdateFromText);

// Anchor measured in the same run: plain nlohmann parse + dump of the same update text.
void BM_AnchorJsonParseDump(benchmark::State& state) {
  for (auto _ : state) {
    json j = json::parse(kUpdateText);
    std::string out = j.dump();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AnchorJsonParseDump);

struct Fleet {
  std::vector<TwinDocument> docs;
  iotwins::twin::Hierarchy hierarchy;
  explicit Fleet(int n) {
    std::vector<iotwins::twin::HierarchyNode> nodes{{"site-1", "", iotwins::twin::Level::cloud}};
    for (int l = 0; l < 10; ++l) {
      nodes.push_back({"line-" + std::to_string(l), "site-1", iotwins::twin::Level::edge});
    }
    docs.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      docs.push_back(make_pump(i));
      nodes.push_back({docs.back().id, docs.back().parent, iotwins::twin::Level::iot});
    }
    hierarchy = *iotwins::twin::Hierarchy::build(std::move(nodes));
  }
};

void BM_QueryEvaluate(benchmark::State& state) {
  static Fleet fleet(100'000);
  auto query = *iotwins::twin::Query::compile(
      R"(model == "Pump" and reported.temperature > 80 and under("line-2"))");
  auto under = fleet.hierarchy.under_fn();
  std::size_t matched = 0;
  for (auto _ : state) {
    matched = 0;
    for (const auto& d : fleet.docs) matched += query.matches(d, under) ? 1 : 0;
    benchmark::DoNotOptimize(matched);
  }
  state.counters["matched"] = static_cast<double>(matched);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(fleet.docs.size()));
}
BENCHMARK(BM_QueryEvaluate)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
