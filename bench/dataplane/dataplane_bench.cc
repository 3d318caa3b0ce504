// bench/run dataplane: what the broker plugin costs on the device -> durable buffer path.
//   (a) anchor: the real Mosquitto without plugin, QoS 1 publishers -> a plain subscriber;
//       and (a') the same without the subscriber (PUBACK rate of the bare broker), the fair
//       base for the plugin's own cost, since (b)/(c) have no subscriber either
//   (b) the same publishers -> Mosquitto with libiotwins_broker.so, fsync periodic -> spool
//   (c) as (b) with fsync always (an fdatasync before every PUBACK)
// (a), (a') and (b) run interleaved 3 times (once with --quick); the medians are reported.
// Publishers: 2 libmosquitto clients, QoS 1, inflight window 100 each, ~140-byte JSON
// telemetry with 10 numbers. (b)/(c) count a message once its PUBACK arrived, i.e. once it is
// in the spool; the spool is read back to check the count. Prints one JSON object last.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "dataplane/spool_record.h"
#include "mqtt_harness.h"
#include "wal/tail.h"

namespace {

using namespace std::chrono_literals;
using namespace iotwins;
using namespace iotwins::dataplane::testing;
using Clock = std::chrono::steady_clock;

constexpr int kPublishers = 2;
constexpr int kWindow = 100;
constexpr int kSamplesPerMessage = 10;

struct RunResult {
  double acked_per_s = 0;     // PUBACKs received by the publishers per second
  double delivered_per_s = 0; // messages received by the subscriber per second (anchor)
  uint64_t spooled = 0;       // records found in the spool afterwards
  bool ok = false;
};

// Publishes `per_publisher` messages from each publisher; returns rates.
RunResult run(const std::string& dir, const std::string& plugin_fsync, uint64_t per_publisher,
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

// The run with the median `field`; not ok if any run failed.
RunResult median(std::vector<RunResult> runs, double RunResult::*field) {
  bool ok = true;
  for (const auto& r : runs) ok = ok && r.ok;
  std::sort(runs.begin(), runs.end(),
            [&](const RunResult& a, const RunResult& b) { return a.*field < b.*field; });
  RunResult m = runs[runs.size() / 2];
  m.ok = ok;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: dataplane_bench DIR [--quick]\n");
    return 2;
  }
  std::string dir = argv[1];
  bool quick = argc > 2 && std::string(argv[2]) == "--quick";
  uint64_t n_fast = quick ? 20000 : 100000;  // per publisher
  uint64_t n_always = quick ? 1500 : 5000;
  // The machine is shared: the fast scenarios run interleaved `reps` times and report the
  // median of each, so a burst of someone else's load hits all of them alike.
  int reps = quick ? 1 : 3;
  std::vector<RunResult> anchors, bares, periodics;
  for (int r = 0; r < reps; ++r) {
    anchors.push_back(run(dir, "", n_fast, true));
    bares.push_back(run(dir, "", n_fast, false));
    periodics.push_back(run(dir, "periodic", n_fast, false));
  }
  RunResult anchor = median(anchors, &RunResult::delivered_per_s);
  RunResult bare = median(bares, &RunResult::acked_per_s);
  RunResult periodic = median(periodics, &RunResult::acked_per_s);
  RunResult always = run(dir, "always", n_always, false);
  std::filesystem::remove_all(dir);
  bool all_ok = anchor.ok && bare.ok && periodic.ok && always.ok;
  if (!all_ok) {
    std::fprintf(stderr, "dataplane_bench: a run failed (anchor %d, periodic %d, always %d)\n",
                 anchor.ok, periodic.ok, always.ok);
  }
  double base = anchor.delivered_per_s;
  std::printf(
      "{\"unit\": \"msg/s\", \"repetitions_median\": %d, \"publishers\": %d, "
      "\"inflight_window\": %d, \"payload_bytes\": %zu, "
      "\"samples_per_message\": %d, \"messages_fast\": %llu, \"messages_always\": %llu, "
      "\"anchor_raw_pub_to_sub_msgs_per_s\": %.0f, \"anchor_raw_puback_only_msgs_per_s\": %.0f, "
      "\"plugin_periodic_msgs_per_s\": %.0f, \"plugin_periodic_samples_per_s\": %.0f, "
      "\"plugin_periodic_vs_anchor\": %.3f, \"plugin_always_msgs_per_s\": %.0f, "
      "\"plugin_always_samples_per_s\": %.0f, \"plugin_always_vs_anchor\": %.3f, "
      "\"plugin_periodic_vs_puback_only\": %.3f, \"plugin_always_vs_puback_only\": %.3f, "
      "\"spool_records_checked\": %s, \"ok\": %s}\n",
      reps, kPublishers, kWindow, telemetry_payload(500).size(), kSamplesPerMessage,
      (unsigned long long)(n_fast * kPublishers), (unsigned long long)(n_always * kPublishers),
      base, bare.acked_per_s, periodic.acked_per_s, periodic.acked_per_s * kSamplesPerMessage,
      periodic.acked_per_s / base, always.acked_per_s, always.acked_per_s * kSamplesPerMessage,
      always.acked_per_s / base, periodic.acked_per_s / bare.acked_per_s,
      always.acked_per_s / bare.acked_per_s,
      (periodic.spooled >= n_fast * kPublishers && always.spooled >= n_always * kPublishers)
          ? "true" : "false",
      all_ok ? "true" : "false");
  return all_ok ? 0 : 1;
}
