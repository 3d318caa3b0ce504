// See broker_run.h.
#include "broker_run.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "core/fs.h"
#include "mqtt_harness.h"
#include "wal/tail.h"

namespace iotwins::bench {

using namespace std::chrono_literals;
using namespace iotwins::dataplane::testing;
using Clock = std::chrono::steady_clock;

RunResult run_broker(const std::string& dir, const std::string& plugin_fsync, uint64_t per_publisher,
                     bool subscribe) {
  RunResult r;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Broker::Options opts{.dir = dir};
  std::string spool = dir + "/spool";
  if (!plugin_fsync.empty()) {
    opts.plugin = IOTWINS_BROKER_PLUGIN;
    opts.plugin_options = {{"spool_dir", spool}, {"fsync", plugin_fsync}};
  }
  auto broker = Broker::start(opts);
  if (!broker) {
    std::fprintf(stderr, "%s\n", broker.error().to_string().c_str());
    return r;
  }
  std::unique_ptr<Counter> subscriber;
  if (subscribe) {
    subscriber = std::make_unique<Counter>(broker->port(), "iotwins/+/telemetry");
    if (!subscriber->subscribed()) return r;
  }
  std::vector<std::unique_ptr<Publisher>> pubs;
  for (int p = 0; p < kPublishers; ++p) {
    pubs.push_back(std::make_unique<Publisher>("bench-dev-" + std::to_string(p), broker->port(),
                                               kWindow, /*clean_session=*/true));
    if (!pubs.back()->connected()) return r;
  }
  std::vector<std::string> payloads;
  for (uint64_t i = 1; i <= 1000; ++i) payloads.push_back(telemetry_payload(i));
  auto start = Clock::now();
  std::vector<std::thread> threads;
  std::atomic<bool> failed{false};
  for (int p = 0; p < kPublishers; ++p) {
    threads.emplace_back([&, p] {
      std::string topic = "iotwins/pump-" + std::to_string(p) + "/telemetry";
      for (uint64_t i = 1; i <= per_publisher; ++i) {
        if (!pubs[p]->publish(topic, payloads[i % payloads.size()], i)) {
          failed = true;
          return;
        }
      }
      if (!pubs[p]->wait_all_acked(120s)) failed = true;
    });
  }
  for (auto& t : threads) t.join();
  double acked_s = std::chrono::duration<double>(Clock::now() - start).count();
  uint64_t total = per_publisher * kPublishers;
  r.acked_per_s = total / acked_s;
  if (subscriber) {
    if (!eventually([&] { return subscriber->count() >= total; }, 120s)) failed = true;
    double delivered_s = std::chrono::duration<double>(Clock::now() - start).count();
    r.delivered_per_s = total / delivered_s;
  }
  pubs.clear();
  subscriber.reset();
  broker->kill9();
  if (!plugin_fsync.empty()) {
    auto tail = wal::TailReader::open(PosixFileSystem::instance(), spool, 1);
    if (!tail) return r;
    while (true) {
      auto rec = (*tail)->next();
      if (!rec || !*rec) break;
      ++r.spooled;
    }
    if (r.spooled < total) failed = true;
  }
  r.ok = !failed;
  return r;
}

RunResult median(std::vector<RunResult> runs, double RunResult::*field) {
  bool ok = true;
  for (const auto& r : runs) ok = ok && r.ok;
  std::sort(runs.begin(), runs.end(),
            [&](const RunResult& a, const RunResult& b) { return a.*field < b.*field; });
  RunResult m = runs[runs.size() / 2];
  m.ok = ok;
  return m;
}

}  // namespace iotwins::bench
