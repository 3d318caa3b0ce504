// bench/run dataplane, end to end: devices → edge agent (managed Mosquitto + spool plugin,
// fsync on) → its buffer → server → durable in the server's store, with the real binaries.
//   anchor: raw Mosquitto, QoS 1 publishers → plain subscriber (broker_run.h), same run
//   sustained: samples/s durable at the server (first publish → the server's count reaches
//     the total), fsync periodic (median of the repetitions) and fsync always
//   partition: the edge → server link cut by a FaultProxy; ingest rate into the agent's
//     buffer while cut, agent RSS with `small` and `big` buffered records (the backlog is on
//     disk), then the link healed and the backlog's drain rate at the server
// Publishers: kPublishers libmosquitto clients, QoS 1, inflight window kWindow, each its own
// twin; payload {"ts":…, "seq":i, "v1".."v9"}: 10 numbers (samples) per message.
// Prints one JSON object last.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "api/http_client.h"
#include "broker_run.h"
#include "e2e_cluster.h"
#include "fault_proxy.h"
#include "mqtt_harness.h"

namespace {

using namespace std::chrono_literals;
using namespace iotwins;
using namespace iotwins::bench;
namespace mq = iotwins::dataplane::testing;
using Clock = std::chrono::steady_clock;

// Device times start 2 h in the past, 1 ms apart per twin: every message is its own sample.
const int64_t kBaseMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count() - 7'200'000;

std::string twin_of(int p) { return "e2e-" + std::to_string(p); }

std::string payload(uint64_t i) {
  std::string p = "{\"ts\":" + std::to_string(kBaseMs + static_cast<int64_t>(i)) + ",\"seq\":" + std::to_string(i);
  for (int k = 1; k < kSamplesPerMessage; ++k) p += ",\"v" + std::to_string(k) + "\":" + std::to_string(i * 10 + k) + ".125";
  return p + "}";
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Publishes messages [from, to) of every publisher's twin in parallel and waits for the PUBACKs.
bool publish(std::vector<std::unique_ptr<mq::Publisher>>& pubs, uint64_t from, uint64_t to) {
  std::atomic<bool> ok{true};
  std::vector<std::thread> threads;
  for (size_t p = 0; p < pubs.size(); ++p) {
    threads.emplace_back([&, p] {
      std::string topic = "iotwins/" + twin_of(static_cast<int>(p)) + "/telemetry";
      for (uint64_t i = from; i < to && ok; ++i) {
        if (!pubs[p]->publish(topic, payload(i), i, 120s)) ok = false;
      }
      if (!pubs[p]->wait_all_acked(300s)) ok = false;
    });
  }
  for (auto& t : threads) t.join();
  return ok;
}

Result<std::vector<std::unique_ptr<mq::Publisher>>> connect(int port) {
  std::vector<std::unique_ptr<mq::Publisher>> pubs;
  for (int p = 0; p < kPublishers; ++p) {
    pubs.push_back(std::make_unique<mq::Publisher>("e2e-dev-" + std::to_string(p), port, kWindow, true));
    if (!pubs.back()->connected()) return make_error(Errc::unavailable, "publisher did not connect");
  }
  return pubs;
}

// Messages of every twin the server holds (the count of the "seq" property).
uint64_t server_messages(Server& server) {
  uint64_t n = 0;
  for (int p = 0; p < kPublishers; ++p) {
    auto c = server.count(twin_of(p), "seq", kBaseMs - 1000);
    if (c) n += *c;
  }
  return n;
}

struct Sustained {
  double acked_msgs_per_s = 0;    // PUBACKs: in the agent's spool
  double durable_msgs_per_s = 0;  // first publish → all durable at the server
  uint64_t server_messages = 0;
  bool ok = false;
};

Sustained sustained(const std::string& binary, const std::string& dir, const std::string& fsync, uint64_t per_pub) {
  Sustained r;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto server = Server::start(binary, dir);
  if (!server) return std::fprintf(stderr, "%s\n", server.error().to_string().c_str()), r;
  auto agent = Agent::start(binary, dir, {.server_url = (*server)->url(), .spool_fsync = fsync}, **server);
  if (!agent) return std::fprintf(stderr, "%s\n", agent.error().to_string().c_str()), r;
  auto pubs = connect((*agent)->mqtt_port());
  if (!pubs) return r;
  uint64_t total = per_pub * kPublishers;
  auto start = Clock::now();
  bool ok = publish(*pubs, 0, per_pub);
  r.acked_msgs_per_s = total / seconds_since(start);
  ok = ok && poll_until([&] { return server_messages(**server) >= total; }, 600s, 50ms);
  r.durable_msgs_per_s = total / seconds_since(start);
  r.server_messages = server_messages(**server);
  r.ok = ok && r.server_messages == total;
  if (!r.ok) std::fprintf(stderr, "sustained %s: %llu of %llu at the server\n%s\n", fsync.c_str(),
                          (unsigned long long)r.server_messages, (unsigned long long)total,
                          (*agent)->daemon().log_tail().c_str());
  return r;
}

struct Partition {
  uint64_t small_records = 0, big_records = 0;
  uint64_t rss_small = 0, rss_big = 0;
  double ingest_records_per_s = 0;     // into the agent's buffer while cut (backlog growth)
  double reconnect_s = 0;              // heal → first record at the server (forwarder's backoff)
  double drain_records_per_s = 0;      // first record at the server → whole backlog in its store
  double forward_records_per_s = 0;    // first record at the server → agent's backlog empty
  uint64_t server_messages_while_cut = 0;
  bool ok = false;
};

Partition partition(const std::string& binary, const std::string& dir, uint64_t small_records, uint64_t big_records) {
  Partition r{.small_records = small_records, .big_records = big_records};
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto server = Server::start(binary, dir);
  if (!server) return std::fprintf(stderr, "%s\n", server.error().to_string().c_str()), r;
  auto target = api::parse_url((*server)->url());
  if (!target) return r;
  e2e::FaultProxy link("127.0.0.1", target->port);
  auto agent = Agent::start(binary, dir, {.server_url = (*server)->url(), .parent_url = link.url()}, **server);
  if (!agent) return std::fprintf(stderr, "%s\n", agent.error().to_string().c_str()), r;
  auto pubs = connect((*agent)->mqtt_port());
  if (!pubs) return r;
  link.cut();
  Server& s = **server;
  auto backlog_reaches = [&](uint64_t records) {
    return poll_until([&] { auto b = s.backlog("edge"); return b && *b >= static_cast<int64_t>(records); }, 600s, 50ms);
  };
  uint64_t per_record = kSamplesPerMessage * kPublishers;  // records per message index
  uint64_t small_msgs = small_records / per_record, big_msgs = big_records / per_record;
  bool ok = publish(*pubs, 0, small_msgs) && backlog_reaches(small_msgs * per_record);
  r.rss_small = (*agent)->daemon().rss_bytes();
  auto start = Clock::now();
  ok = ok && publish(*pubs, small_msgs, big_msgs) && backlog_reaches(big_msgs * per_record);
  r.ingest_records_per_s = (big_msgs - small_msgs) * per_record / seconds_since(start);
  r.rss_big = (*agent)->daemon().rss_bytes();
  r.server_messages_while_cut = server_messages(s);
  uint64_t total = big_msgs * kPublishers;
  link.heal();
  auto healed = Clock::now();
  ok = ok && poll_until([&] { return server_messages(s) > r.server_messages_while_cut; }, 120s, 20ms);
  r.reconnect_s = seconds_since(healed);
  auto first = Clock::now();
  uint64_t at_first = server_messages(s);
  // The agent's backlog empties when the server's receiver acknowledged everything (durable in
  // its ingest log); the count reaches the total when its applier wrote everything to the store.
  double forwarded_s = 0;
  ok = ok && poll_until([&] {
    if (forwarded_s == 0) {
      auto b = s.backlog("edge");
      if (b && *b == 0) forwarded_s = seconds_since(first);
    }
    return server_messages(s) >= total;
  }, 900s, 50ms);
  r.drain_records_per_s = (total - at_first) * kSamplesPerMessage / seconds_since(first);
  if (forwarded_s == 0) forwarded_s = seconds_since(first);  // emptied within the last poll
  r.forward_records_per_s = (total - at_first) * kSamplesPerMessage / forwarded_s;
  r.ok = ok && server_messages(s) == total && r.server_messages_while_cut == 0;
  if (!r.ok) std::fprintf(stderr, "partition: %llu of %llu at the server\n%s\n", (unsigned long long)server_messages(s),
                          (unsigned long long)total, (*agent)->daemon().log_tail().c_str());
  return r;
}

template <class T>
T median_of(std::vector<T> runs, double T::*field) {
  bool ok = true;
  for (const auto& r : runs) ok = ok && r.ok;
  std::sort(runs.begin(), runs.end(), [&](const T& a, const T& b) { return a.*field < b.*field; });
  T m = runs[runs.size() / 2];
  m.ok = ok;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: dataplane_e2e_bench IOTWINS_BINARY DIR [--quick]\n");
    return 2;
  }
  std::string binary = argv[1], dir = argv[2];
  bool quick = argc > 3 && std::string(argv[3]) == "--quick";
  uint64_t n_anchor = quick ? 5000 : 100000;  // messages per publisher
  uint64_t n_periodic = quick ? 5000 : 100000;
  uint64_t n_always = quick ? 200 : 2500;
  uint64_t small = 100'000, big = quick ? 1'000'000 : 10'000'000;  // buffered records (samples)
  int reps = quick ? 1 : 3;
  // Shared machine: anchor and the periodic run alternate, medians reported.
  std::vector<RunResult> anchors;
  std::vector<Sustained> periodics;
  for (int i = 0; i < reps; ++i) {
    anchors.push_back(run_broker(dir + "/anchor", "", n_anchor, true));
    periodics.push_back(sustained(binary, dir + "/periodic", "periodic", n_periodic));
  }
  RunResult anchor = median(anchors, &RunResult::delivered_per_s);
  Sustained periodic = median_of(periodics, &Sustained::durable_msgs_per_s);
  Sustained always = sustained(binary, dir + "/always", "always", n_always);
  Partition part = partition(binary, dir + "/partition", small, big);
  std::filesystem::remove_all(dir);
  bool ok = anchor.ok && periodic.ok && always.ok && part.ok;
  if (!ok) std::fprintf(stderr, "dataplane_e2e_bench: a run failed (anchor %d, periodic %d, always %d, partition %d)\n",
                        anchor.ok, periodic.ok, always.ok, part.ok);
  double base = anchor.delivered_per_s;
  double mib = 1024.0 * 1024.0;
  std::printf(
      "{\"unit\": \"msg/s\", \"repetitions_median\": %d, \"publishers\": %d, \"inflight_window\": %d, "
      "\"payload_bytes\": %zu, \"samples_per_message\": %d, \"anchor_messages\": %llu, "
      "\"anchor_raw_pub_to_sub_msgs_per_s\": %.0f, "
      "\"periodic_messages\": %llu, \"periodic_acked_msgs_per_s\": %.0f, \"periodic_durable_msgs_per_s\": %.0f, "
      "\"periodic_durable_samples_per_s\": %.0f, \"periodic_vs_anchor\": %.3f, "
      "\"always_messages\": %llu, \"always_acked_msgs_per_s\": %.0f, \"always_durable_msgs_per_s\": %.0f, "
      "\"always_durable_samples_per_s\": %.0f, \"always_vs_anchor\": %.3f, "
      "\"partition_ingest_records_per_s\": %.0f, \"partition_reconnect_s\": %.2f, "
      "\"partition_drain_records_per_s\": %.0f, \"drain_vs_ingest\": %.2f, "
      "\"partition_forward_records_per_s\": %.0f, "
      "\"rss_records_small\": %llu, \"rss_small_mib\": %.1f, \"rss_records_big\": %llu, \"rss_big_mib\": %.1f, "
      "\"rss_big_vs_small\": %.2f, \"quick\": %s, \"ok\": %s}\n",
      reps, kPublishers, kWindow, payload(500).size(), kSamplesPerMessage,
      (unsigned long long)(n_anchor * kPublishers), base, (unsigned long long)(n_periodic * kPublishers),
      periodic.acked_msgs_per_s, periodic.durable_msgs_per_s, periodic.durable_msgs_per_s * kSamplesPerMessage,
      periodic.durable_msgs_per_s / base, (unsigned long long)(n_always * kPublishers), always.acked_msgs_per_s,
      always.durable_msgs_per_s, always.durable_msgs_per_s * kSamplesPerMessage, always.durable_msgs_per_s / base,
      part.ingest_records_per_s, part.reconnect_s, part.drain_records_per_s,
      part.drain_records_per_s / part.ingest_records_per_s, part.forward_records_per_s,
      (unsigned long long)part.small_records,
      part.rss_small / mib, (unsigned long long)part.big_records, part.rss_big / mib,
      part.rss_small ? static_cast<double>(part.rss_big) / part.rss_small : 0.0, quick ? "true" : "false",
      ok ? "true" : "false");
  return ok ? 0 : 1;
}
