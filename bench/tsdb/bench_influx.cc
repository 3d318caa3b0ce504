// `tsdb_bench influx URL INFLUX_DATA_DIR INFLUX_WAL_DIR WORK_DIR SECONDS SERIES`: the same fleet
// written to the embedded engine (in process, one thread) and to an InfluxDB 1.x started by
// bench.sh (line protocol over HTTP/1.1 keep-alive, 5,000 lines per request, one client).
// Influx request bodies are formatted before the clock starts, so its figure is the server's
// ingest rate, not our formatting. Bytes on disk: InfluxDB's data + wal directories once they
// stop changing (cache snapshotted after 1 s idle, full compaction after 5 s; see influx.sh),
// against every file of the engine's directory after flush. The count of stored points is
// checked with a query.
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "api/http_client.h"
#include "bench_data.h"

namespace tsdb_bench {
namespace {

constexpr size_t kLinesPerRequest = 5000;

void append_line(std::string& out, const SeriesKey& k, const Sample& s) {
  out += k.property;
  out += ",twin=";
  out += k.twin;
  for (const auto& [n, v] : k.labels) out += "," + n + "=" + v;
  out += " value=";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), s.value);
  out.append(buf, r.ptr);
  out += ' ';
  r = std::to_chars(buf, buf + sizeof(buf), s.ts);
  out.append(buf, r.ptr);
  out += '\n';
}

// Bodies in the engine's write order: 60 s slices, every series per slice.
std::vector<std::string> line_protocol(const std::vector<Series>& d) {
  std::vector<std::string> bodies(1);
  size_t lines = 0, longest = 0;
  for (const auto& s : d) longest = std::max(longest, s.samples.size());
  for (size_t at = 0; at < longest; at += 60) {
    for (const auto& s : d) {
      for (size_t j = at; j < std::min(at + 60, s.samples.size()); ++j) {
        if (lines == kLinesPerRequest) {
          bodies.emplace_back();
          lines = 0;
        }
        append_line(bodies.back(), s.key, s.samples[j]);
        ++lines;
      }
    }
  }
  return bodies;
}

api::ClientResponse must(Result<api::ClientResponse> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().to_string());
  return std::move(*r);
}

// CPU seconds (user + system, all threads) used so far by another process, from /proc.
double process_cpu_s(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = stat.rfind(')');
  if (at == std::string::npos) die("cannot read /proc/" + pid + "/stat");
  std::istringstream fields(stat.substr(at + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {  // fields 14 and 15 of stat(5)
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Waits until data + wal bytes have not changed for `stable_s` consecutive seconds.
uint64_t settled_bytes(const std::string& data, const std::string& wal, int stable_s, int max_s) {
  uint64_t last = 0;
  int same = 0;
  for (int i = 0; i < max_s; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    uint64_t now = dir_bytes(data) + dir_bytes(wal);
    same = now == last ? same + 1 : 0;
    last = now;
    if (same >= stable_s) break;
  }
  return last;
}

}  // namespace

int run_influx(int argc, char** argv) {
  if (argc != 9) die("usage: tsdb_bench influx URL INFLUXD_PID INFLUX_DATA_DIR INFLUX_WAL_DIR WORK_DIR SECONDS SERIES");
  std::string url = argv[2], pid = argv[3], data_dir = argv[4], wal_dir = argv[5], work = argv[6];
  int seconds = std::atoi(argv[7]), n_series = std::atoi(argv[8]);
  auto fleet = make_fleet(n_series, seconds);
  uint64_t n = total(fleet);

  Ingest engine = ingest_engine(fleet, work + "/engine", 60);
  Ingest engine_raw = ingest_engine(fleet, work + "/engine-raw", 60, {});

  auto bodies = line_protocol(fleet);
  auto client = api::HttpClient::create(url);
  if (!client) die("influx client: " + client.error().to_string());
  auto& http = **client;
  must(http.request(api::Method::POST, "/query?q=CREATE%20DATABASE%20bench", "", "application/x-www-form-urlencoded"), "create db");
  double t = now_s(), c = process_cpu_s(pid);
  for (const auto& body : bodies) {
    auto r = must(http.request(api::Method::POST, "/write?db=bench&precision=ns", body, "text/plain"), "write");
    if (r.status != 204) die("influx write answered " + std::to_string(r.status) + ": " + r.body);
  }
  double influx_rate = static_cast<double>(n) / (now_s() - t);
  double influx_cpu_rate = static_cast<double>(n) / (process_cpu_s(pid) - c);
  uint64_t influx_bytes = settled_bytes(data_dir, wal_dir, 5, 120);
  auto r = must(http.request(api::Method::GET, "/query?db=bench&q=SELECT%20count(value)%20FROM%20temperature"), "count");
  uint64_t stored = 0;
  try {
    stored = nlohmann::json::parse(r.body)["results"][0]["series"][0]["values"][0][1].get<uint64_t>();
  } catch (const std::exception& e) {
    die(std::string("influx count answer: ") + e.what() + ": " + r.body);
  }
  if (stored != n) die("influx stored " + std::to_string(stored) + " of " + std::to_string(n) + " points");

  double engine_bps = static_cast<double>(engine.disk_bytes) / static_cast<double>(n);
  double raw_bps = static_cast<double>(engine_raw.disk_bytes) / static_cast<double>(n);
  double influx_bps = static_cast<double>(influx_bytes) / static_cast<double>(n);
  std::printf(
      "{\"influx_series\": %d, \"influx_samples\": %llu,"
      " \"engine_ingest_samples_per_s\": %.0f, \"engine_ingest_samples_per_cpu_s\": %.0f,"
      " \"engine_no_rollups_ingest_samples_per_s\": %.0f, \"engine_no_rollups_ingest_samples_per_cpu_s\": %.0f,"
      " \"influx_ingest_samples_per_s\": %.0f, \"influx_ingest_samples_per_cpu_s\": %.0f,"
      " \"ingest_ratio_vs_influx\": %.2f, \"ingest_cpu_ratio_vs_influx\": %.2f,"
      " \"engine_disk_bytes_per_sample\": %.3f, \"engine_no_rollups_disk_bytes_per_sample\": %.3f,"
      " \"influx_disk_bytes_per_sample\": %.3f, \"bytes_ratio_vs_influx\": %.3f, \"bytes_ratio_vs_influx_no_rollups\": %.3f}\n",
      n_series, (unsigned long long)n, engine.rate, engine.cpu_rate, engine_raw.rate, engine_raw.cpu_rate, influx_rate,
      influx_cpu_rate, engine.rate / influx_rate, engine.cpu_rate / influx_cpu_rate, engine_bps, raw_bps, influx_bps,
      engine_bps / influx_bps, raw_bps / influx_bps);
  return 0;
}

}  // namespace tsdb_bench
