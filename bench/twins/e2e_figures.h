// What twins_e2e_bench reads from a running server: Prometheus counters, the latency of one
// GET repeated, wrk's figures; and the QoS 1 load it drives into an edge agent's broker.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/result.h"

namespace iotwins::bench {

// The value of an unlabelled counter or gauge `name` in the server's GET /metrics.
Result<double> metric(const std::string& base_url, const std::string& name);

struct Latency {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  size_t items = 0;  // "items" in the last response
  bool ok = false;
};
// GET base_url + path `runs` times one after another (one connection, bearer `token`); 200 expected.
Latency time_get(const std::string& base_url, const std::string& token, const std::string& path, int runs);

struct WrkResult {
  double requests_per_s = 0, p50_ms = 0, p99_ms = 0;
  uint64_t non_2xx = 0, socket_errors = 0;
  bool ok = false;
};
// `wrk -t2 -c<connections> -d<seconds>s --latency URL`, parsed.
WrkResult run_wrk(const std::string& url, int connections, int seconds, const std::string& token = "");

// QoS 1 from `publishers` libmosquitto clients (inflight window `window`) to the broker on
// `port`: publisher p sends messages i = 0..per_publisher-1 of topic(p, i) with payload(p, i),
// all in parallel, once all are connected (first_publish: then); true when every message was
// acknowledged.
bool publish_all(int port, int publishers, int window, uint64_t per_publisher,
                 const std::function<std::string(int, uint64_t)>& topic,
                 const std::function<std::string(int, uint64_t)>& payload, const std::string& client_prefix,
                 std::chrono::steady_clock::time_point& first_publish);

}  // namespace iotwins::bench
