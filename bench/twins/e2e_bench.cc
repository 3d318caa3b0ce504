// bench/run twins, end to end with the real binaries: devices → edge agent (managed Mosquitto +
// spool plugin) → server → twins persisted in SQLite, then REST reads and queries of those twins.
//   anchor: raw Mosquitto, QoS 1 publishers → plain subscriber (broker_run.h), same run
//   reported: kPublishers clients (inflight window kWindow) publish partial documents on
//     iotwins/dev-<k>/reported for kTwins twins; updates/s from the first publish until the
//     server's iotwins_twin_updates_applied_total reaches the total
//   telemetry: the same twins, messages of 10 numbers; messages/s until every twin reports its
//     last message (the server coalesces a run's samples per twin, so its counter counts fewer)
//   rest: wrk -t2 -c64 on GET /api/v1/twins/dev-0, anchor the same wrk on GET /healthz
//   query: 100k twins auto-created from telemetry, then p50 of a filtered, a filtered + sorted
//     and an unfiltered page of 100 (the anchor)
// Prints one JSON object last.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "api/http.h"
#include "broker_run.h"
#include "e2e_cluster.h"
#include "e2e_figures.h"

namespace {

using namespace std::chrono_literals;
using namespace iotwins;
using namespace iotwins::bench;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kTwinPublishers = 4;
constexpr int kTwins = 1000;
constexpr int kTwinsPerPublisher = kTwins / kTwinPublishers;
constexpr char kApplied[] = "iotwins_twin_updates_applied_total";
constexpr char kRefused[] = "iotwins_twin_updates_refused_total";

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Device twin of message i of publisher p: each publisher cycles through its own kTwinsPerPublisher.
int device_of(int p, uint64_t i) { return p + kTwinPublishers * static_cast<int>(i % kTwinsPerPublisher); }

double counter(Server& server, const char* name) {
  auto v = metric(server.url(), name);
  return v ? *v : -1;
}

struct Ingest {
  uint64_t messages = 0;
  double acked_per_s = 0;    // PUBACKs: in the agent's spool
  double applied_per_s = 0;  // first publish → in the server's twins (SQLite)
  double counter_delta = 0;  // iotwins_twin_updates_applied_total during the run
  bool ok = false;
};

// Publishes per_publisher messages from each publisher; done() says when the server has them all.
Ingest ingest(Server& server, int port, uint64_t per_publisher, const std::string& kind,
              const std::function<std::string(int, uint64_t)>& topic,
              const std::function<std::string(int, uint64_t)>& payload, const std::function<bool()>& done) {
  Ingest r{.messages = per_publisher * kTwinPublishers};
  double before = counter(server, kApplied);
  Clock::time_point start;
  bool ok = publish_all(port, kTwinPublishers, kWindow, per_publisher, topic, payload, kind + "-dev-", start);
  r.acked_per_s = r.messages / seconds_since(start);
  ok = ok && poll_until(done, 600s, 20ms);
  r.applied_per_s = r.messages / seconds_since(start);
  r.counter_delta = counter(server, kApplied) - before;
  r.ok = ok;
  if (!ok) std::fprintf(stderr, "%s: not all %llu messages reached the twins\n%s\n", kind.c_str(),
                        (unsigned long long)r.messages, server.daemon().log_tail().c_str());
  return r;
}

json latency_json(const Latency& l) {
  return {{"p50_ms", l.p50_ms}, {"p99_ms", l.p99_ms}, {"max_ms", l.max_ms}, {"items", l.items}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: twins_e2e_bench IOTWINS_BINARY DIR [--quick]\n");
    return 2;
  }
  std::string binary = argv[1], dir = argv[2];
  bool quick = argc > 3 && std::string(argv[3]) == "--quick";
  uint64_t n_anchor = quick ? 10'000 : 100'000;     // per anchor publisher
  uint64_t n_updates = quick ? 2'500 : 10'000;      // per twin publisher: rounds × 250 twins
  uint64_t n_query_twins = quick ? 20'000 : 100'000;
  int wrk_seconds = quick ? 2 : 5;
  int query_runs = quick ? 5 : 21;
  int anchor_reps = quick ? 1 : 3;

  std::filesystem::remove_all(dir);
  std::vector<RunResult> anchors;
  for (int i = 0; i < anchor_reps; ++i) anchors.push_back(run_broker(dir + "/anchor", "", n_anchor, true));
  RunResult anchor = median(anchors, &RunResult::delivered_per_s);

  std::filesystem::create_directories(dir + "/cluster");
  auto server = Server::start(binary, dir + "/cluster");
  if (!server) return std::fprintf(stderr, "%s\n", server.error().to_string().c_str()), 1;
  auto agent = Agent::start(binary, dir + "/cluster", {.server_url = (*server)->url()}, **server);
  if (!agent) return std::fprintf(stderr, "%s\n", agent.error().to_string().c_str()), 1;
  Server& s = **server;
  int port = (*agent)->mqtt_port();

  // 1. Reported state: every message one update of one twin.
  double applied_before = counter(s, kApplied);
  uint64_t total = n_updates * kTwinPublishers;
  Ingest reported = ingest(
      s, port, n_updates, "reported",
      [](int p, uint64_t i) { return "iotwins/dev-" + std::to_string(device_of(p, i)) + "/reported"; },
      [](int, uint64_t i) {
        return "{\"temperature\":" + std::to_string(static_cast<double>(i * 7 % 1000) / 10) +
               ",\"seq\":" + std::to_string(i) + ",\"mode\":\"auto\"}";
      },
      [&] { return counter(s, kApplied) >= applied_before + static_cast<double>(total); });

  // 2. Telemetry of 10 numbers: done when every twin holds its last round's tseq.
  uint64_t last_round = n_updates / kTwinsPerPublisher - 1;
  std::string pending = "/api/v1/twins?limit=1&filter=" +
                        api::percent_encode("id contains \"dev-\" and not (reported.tseq == " + std::to_string(last_round) + ")");
  auto client = api::HttpClient::create(s.url(), s.client_options());
  if (!client) return 1;
  Ingest telemetry = ingest(
      s, port, n_updates, "telemetry",
      [](int p, uint64_t i) { return "iotwins/dev-" + std::to_string(device_of(p, i)) + "/telemetry"; },
      [](int, uint64_t i) {
        std::string m = "{\"tseq\":" + std::to_string(i / kTwinsPerPublisher);
        for (int k = 1; k < kSamplesPerMessage; ++k) m += ",\"v" + std::to_string(k) + "\":" + std::to_string(i * 10 + k) + ".125";
        return m + "}";
      },
      [&] {
        auto r = (*client)->request(api::Method::GET, pending);
        if (!r || r->status != 200) return false;
        auto j = json::parse(r->body, nullptr, false);
        return !j.is_discarded() && j.contains("items") && j["items"].empty();
      });

  // 3. REST reads at 64 connections; anchor: /healthz with the same wrk.
  WrkResult get_twin = run_wrk(s.url() + "/api/v1/twins/dev-0", 64, wrk_seconds, s.token());
  WrkResult healthz = run_wrk(s.url() + "/healthz", 64, wrk_seconds);

  // 4. n_query_twins new twins from one telemetry message each (default auto-create), then queries.
  double before_q = counter(s, kApplied);
  Ingest created = ingest(
      s, port, n_query_twins / kTwinPublishers, "create",
      [](int p, uint64_t i) { return "iotwins/q-" + std::to_string(p + kTwinPublishers * i) + "/telemetry"; },
      [](int p, uint64_t i) {
        return "{\"temperature\":" + std::to_string(static_cast<double>((p + kTwinPublishers * i) * 37 % 1000) / 10) + "}";
      },
      [&] { return counter(s, kApplied) >= before_q + static_cast<double>(n_query_twins); });
  std::string filter = api::percent_encode("reported.temperature > 80 and model == null");
  Latency filtered = time_get(s.url(), s.token(), "/api/v1/twins?filter=" + filter + "&limit=100", query_runs);
  Latency sorted = time_get(s.url(), s.token(), "/api/v1/twins?filter=" + filter + "&sort=-reported.temperature&limit=100", query_runs);
  Latency unfiltered = time_get(s.url(), s.token(), "/api/v1/twins?limit=100", query_runs);
  double refused = counter(s, kRefused);
  uint64_t rss_server = s.daemon().rss_bytes();

  agent->reset();
  server->reset();
  std::filesystem::remove_all(dir);

  bool ok = anchor.ok && reported.ok && telemetry.ok && get_twin.ok && healthz.ok && created.ok && filtered.ok &&
            sorted.ok && unfiltered.ok && refused == 0 && filtered.items == 100 && sorted.items == 100;
  if (!ok) std::fprintf(stderr, "twins_e2e_bench: a run failed (refused %.0f)\n", refused);
  const double ditto = 800, orion = 2700;  // published figures named by issue #5
  json out = {
      {"unit", "updates/s"},
      {"twins", kTwins},
      {"publishers", kTwinPublishers},
      {"inflight_window", kWindow},
      {"anchor_raw_pub_to_sub_msgs_per_s", std::round(anchor.delivered_per_s)},
      {"anchor_publishers", kPublishers},
      {"reported_updates", reported.messages},
      {"reported_acked_per_s", std::round(reported.acked_per_s)},
      {"reported_updates_per_s", std::round(reported.applied_per_s)},
      {"reported_vs_anchor", reported.applied_per_s / anchor.delivered_per_s},
      {"reported_vs_ditto_published", reported.applied_per_s / ditto},
      {"reported_vs_orion_ld_published", reported.applied_per_s / orion},
      {"telemetry_messages", telemetry.messages},
      {"telemetry_samples_per_message", kSamplesPerMessage},
      {"telemetry_acked_msgs_per_s", std::round(telemetry.acked_per_s)},
      {"telemetry_msgs_per_s", std::round(telemetry.applied_per_s)},
      {"telemetry_twin_updates_applied", telemetry.counter_delta},
      {"telemetry_vs_anchor", telemetry.applied_per_s / anchor.delivered_per_s},
      {"rest_connections", 64},
      {"rest_seconds", wrk_seconds},
      {"get_twin_requests_per_s", std::round(get_twin.requests_per_s)},
      {"get_twin_p50_ms", get_twin.p50_ms},
      {"get_twin_p99_ms", get_twin.p99_ms},
      {"anchor_healthz_requests_per_s", std::round(healthz.requests_per_s)},
      {"anchor_healthz_p50_ms", healthz.p50_ms},
      {"anchor_healthz_p99_ms", healthz.p99_ms},
      {"get_twin_vs_healthz", get_twin.requests_per_s / healthz.requests_per_s},
      {"query_twins_total", kTwins + n_query_twins},
      {"query_twins_created_per_s", std::round(created.applied_per_s)},
      {"query_runs", query_runs},
      {"query_filter", latency_json(filtered)},
      {"query_filter_sort", latency_json(sorted)},
      {"anchor_query_unfiltered", latency_json(unfiltered)},
      {"server_rss_mib", rss_server / 1048576.0},
      {"published", {{"ditto_modifies_per_s", ditto}, {"orion_ld_updates_per_s_2cpu", orion}}},
      {"quick", quick},
      {"ok", ok},
  };
  std::printf("%s\n", out.dump().c_str());
  return ok ? 0 : 1;
}
