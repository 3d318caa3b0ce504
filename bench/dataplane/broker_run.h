// One measured run of the real Mosquitto on loopback: QoS 1 publishers (inflight window) ->
// the broker, with or without the spool plugin, optionally with a plain subscriber. Shared by
// dataplane_bench (plugin cost) and dataplane_e2e_bench (its anchor, measured in the same run).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace iotwins::bench {

constexpr int kPublishers = 2;
constexpr int kWindow = 100;
constexpr int kSamplesPerMessage = 10;

struct RunResult {
  double acked_per_s = 0;     // PUBACKs received by the publishers per second
  double delivered_per_s = 0; // messages received by the subscriber per second (anchor)
  uint64_t spooled = 0;       // records found in the spool afterwards
  bool ok = false;
};

// Publishes `per_publisher` telemetry messages from each of kPublishers publishers to a broker
// started in `dir` (wiped first). plugin_fsync "" runs the broker without the plugin, else the
// plugin's fsync mode; `subscribe` adds a plain subscriber whose receive rate is measured.
RunResult run_broker(const std::string& dir, const std::string& plugin_fsync, uint64_t per_publisher,
                     bool subscribe);

// The run with the median `field`; not ok if any run failed.
RunResult median(std::vector<RunResult> runs, double RunResult::*field);

}  // namespace iotwins::bench
