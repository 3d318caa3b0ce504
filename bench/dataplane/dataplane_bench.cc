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
#include <cstdio>
#include <filesystem>
#include <string>

#include "broker_run.h"
#include "mqtt_harness.h"

using namespace iotwins::bench;
using iotwins::dataplane::testing::telemetry_payload;

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
    anchors.push_back(run_broker(dir, "", n_fast, true));
    bares.push_back(run_broker(dir, "", n_fast, false));
    periodics.push_back(run_broker(dir, "periodic", n_fast, false));
  }
  RunResult anchor = median(anchors, &RunResult::delivered_per_s);
  RunResult bare = median(bares, &RunResult::acked_per_s);
  RunResult periodic = median(periodics, &RunResult::acked_per_s);
  RunResult always = run_broker(dir, "always", n_always, false);
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
