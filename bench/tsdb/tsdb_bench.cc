// tsdb benchmark driver: ingest rate and bytes per sample of the embedded engine against
// SQLite (plain table, WAL, batched transactions) on the same data, measured in one run, plus
// query latencies. Data: SKAB's 8 sensor columns (every CSV under the given dir) and a
// synthetic fleet of 10,000 series at 1 Hz (2-decimal random walks, seeded).
// Usage: tsdb_bench SKAB_DIR WORK_DIR FLEET_SECONDS
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "tsdb/engine.h"

using namespace iotwins;
using namespace iotwins::tsdb;
namespace fsys = std::filesystem;

namespace {

constexpr int64_t kSec = 1'000'000'000;
struct Series {
  SeriesKey key;
  std::vector<Sample> samples;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<Series> load_skab(const std::string& dir) {
  std::vector<Series> out;
  std::vector<fsys::path> files;
  for (const auto& e : fsys::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".csv") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();  // the CSVs have CRLF endings
    std::vector<std::string> cols;
    std::stringstream hs(line);
    for (std::string c; std::getline(hs, c, ';');) cols.push_back(c);
    size_t base = out.size();
    for (size_t c = 1; c < cols.size() && c <= 8; ++c) {
      out.push_back({{fsys::relative(f, dir).string(), cols[c], {}}, {}});
    }
    while (std::getline(in, line)) {
      std::stringstream ls(line);
      std::string cell;
      std::getline(ls, cell, ';');
      std::tm tm{};
      if (!strptime(cell.c_str(), "%Y-%m-%d %H:%M:%S", &tm)) continue;
      int64_t ts = static_cast<int64_t>(timegm(&tm)) * kSec;
      for (size_t c = 0; c < out.size() - base; ++c) {
        if (!std::getline(ls, cell, ';')) break;
        out[base + c].samples.push_back({ts, std::strtod(cell.c_str(), nullptr)});
      }
    }
  }
  for (auto& s : out) sort_last_wins(s.samples);
  return out;
}

std::vector<Series> make_fleet(int n, int seconds) {
  std::vector<Series> out(n);
  std::mt19937_64 rng(2024);
  const int64_t t0 = 1'700'000'000LL * kSec;
  for (int i = 0; i < n; ++i) {
    char twin[32];
    std::snprintf(twin, sizeof(twin), "fleet-%05d", i);
    out[i].key = {twin, "temperature", {{"model", i % 2 ? "pump-a" : "pump-b"}}};
    double v = 20 + static_cast<double>(rng() % 2000) / 100;
    for (int s = 0; s < seconds; ++s) {
      v = std::round((v + (static_cast<double>(rng() % 21) - 10) / 100) * 100) / 100;
      out[i].samples.push_back({t0 + s * kSec, v});
    }
  }
  return out;
}

uint64_t total(const std::vector<Series>& d) {
  uint64_t n = 0;
  for (const auto& s : d) n += s.samples.size();
  return n;
}

struct Ingest {
  double rate = 0, bytes_per_sample = 0;
};

// Writes in time slices of `slice` samples per series, every series in one batch per slice.
Ingest ingest_engine(const std::vector<Series>& d, const std::string& dir, size_t slice) {
  fsys::remove_all(dir);
  StoreOptions o;
  o.dir = dir;
  o.sync_writes = false;
  o.window_ns = 2 * 3600 * kSec;
  auto store = std::move(*EmbeddedStore::open(PosixFileSystem::instance(), o));
  size_t longest = 0;
  for (const auto& s : d) longest = std::max(longest, s.samples.size());
  double t = now_s();
  std::vector<SeriesWrite> batch;
  for (size_t at = 0; at < longest; at += slice) {
    batch.clear();
    for (const auto& s : d) {
      if (at >= s.samples.size()) continue;
      batch.push_back({s.key, std::span(s.samples).subspan(at, std::min(slice, s.samples.size() - at))});
    }
    if (auto st = store->write(batch); !st) {
      std::fprintf(stderr, "write: %s\n", st.error().to_string().c_str());
      std::exit(1);
    }
  }
  if (!store->flush()) std::exit(1);
  double dt = now_s() - t;
  Ingest r;
  r.rate = static_cast<double>(total(d)) / dt;
  r.bytes_per_sample = static_cast<double>(store->stats().block_bytes) / static_cast<double>(total(d));
  return r;
}

Ingest ingest_sqlite(const std::vector<Series>& d, const std::string& dir) {
  fsys::remove_all(dir);
  fsys::create_directories(dir);
  std::string path = dir + "/samples.db";
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                   "CREATE TABLE samples(series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL,"
                   " PRIMARY KEY(series, ts)) WITHOUT ROWID;", nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO samples VALUES(?,?,?)", -1, &st, nullptr);
  double t = now_s();
  uint64_t in_txn = 0;
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  size_t longest = 0;
  for (const auto& s : d) longest = std::max(longest, s.samples.size());
  for (size_t at = 0; at < longest; at += 60) {
    for (size_t i = 0; i < d.size(); ++i) {
      for (size_t j = at; j < std::min(at + 60, d[i].samples.size()); ++j) {
        sqlite3_bind_int64(st, 1, static_cast<int64_t>(i));
        sqlite3_bind_int64(st, 2, d[i].samples[j].ts);
        sqlite3_bind_double(st, 3, d[i].samples[j].value);
        sqlite3_step(st);
        sqlite3_reset(st);
        if (++in_txn == 10000) {
          sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr);
          in_txn = 0;
        }
      }
    }
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_finalize(st);
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  double dt = now_s() - t;
  sqlite3_close(db);
  Ingest r;
  r.rate = static_cast<double>(total(d)) / dt;
  r.bytes_per_sample = static_cast<double>(fsys::file_size(path)) / static_cast<double>(total(d));
  return r;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: tsdb_bench SKAB_DIR WORK_DIR FLEET_SECONDS\n");
    return 2;
  }
  std::string work = argv[2];
  int seconds = std::atoi(argv[3]);
  auto skab = load_skab(argv[1]);
  auto fleet = make_fleet(10000, seconds);
  Ingest skab_e = ingest_engine(skab, work + "/skab", 4096);
  Ingest fleet_e = ingest_engine(fleet, work + "/fleet", 60);
  Ingest skab_s = ingest_sqlite(skab, work + "/skab-sqlite");
  Ingest fleet_s = ingest_sqlite(fleet, work + "/fleet-sqlite");
  std::fprintf(stderr, "skab %llu samples, fleet %llu samples\n", (unsigned long long)total(skab),
               (unsigned long long)total(fleet));

  // Query latency on the fleet: mean per minute over the last hour (or all data) of 1,000 series.
  StoreOptions o;
  o.dir = work + "/fleet";
  o.sync_writes = false;
  o.window_ns = 2 * 3600 * kSec;
  auto store = std::move(*EmbeddedStore::open(PosixFileSystem::instance(), o));
  int64_t t0 = 1'700'000'000LL * kSec;
  int64_t span = std::min<int64_t>(seconds, 3600) * kSec;
  std::vector<double> lat;
  for (int rep = 0; rep < 15; ++rep) {
    AggregateQuery q{{"fleet-00*", "temperature", {}}, t0, t0 + span, 60 * kSec, {Agg::mean}};
    size_t rows = 0;
    double t = now_s();
    if (!store->aggregate(q, [&](const AggregateRow&) { ++rows; return true; })) return 1;
    lat.push_back((now_s() - t) * 1e3);
    if (rows != 1000u * static_cast<size_t>((span / kSec + 59) / 60)) {
      std::fprintf(stderr, "unexpected rows %zu\n", rows);
      return 1;
    }
  }
  // 1M-point single-series scan.
  std::vector<Series> one = {{{"big", "value", {}}, {}}};
  for (int i = 0; i < 1'000'000; ++i) one[0].samples.push_back({t0 + i * 100'000'000LL, std::round(std::sin(i * 0.001) * 1e4) / 100});
  ingest_engine(one, work + "/one", 100000);
  o.dir = work + "/one";
  auto big = std::move(*EmbeddedStore::open(PosixFileSystem::instance(), o));
  std::vector<double> scan;
  for (int rep = 0; rep < 7; ++rep) {
    double t = now_s();
    size_t n = 0;
    double sum = 0;
    (void)big->read({{"big", "value", {}}, t0, t0 + 1'000'000 * 100'000'000LL}, [&](const SeriesKey&, std::span<const Sample> r) {
      n += r.size();
      for (auto s : r) sum += s.value;
      return true;
    });
    scan.push_back((now_s() - t) * 1e3);
    if (n != 1'000'000) return 1;
  }
  std::printf(
      "{\"skab_samples\": %llu, \"fleet_samples\": %llu,"
      " \"engine_skab_ingest_samples_per_s\": %.0f, \"engine_fleet_ingest_samples_per_s\": %.0f,"
      " \"engine_skab_bytes_per_sample\": %.3f, \"engine_fleet_bytes_per_sample\": %.3f,"
      " \"sqlite_skab_ingest_samples_per_s\": %.0f, \"sqlite_fleet_ingest_samples_per_s\": %.0f,"
      " \"sqlite_skab_bytes_per_sample\": %.3f, \"sqlite_fleet_bytes_per_sample\": %.3f,"
      " \"fleet_ingest_ratio_vs_sqlite\": %.2f, \"fleet_bytes_ratio_vs_sqlite\": %.4f,"
      " \"query_mean_per_min_1000_series_p50_ms\": %.2f, \"query_mean_per_min_1000_series_p99_ms\": %.2f,"
      " \"query_span_s\": %lld, \"scan_1M_points_p50_ms\": %.2f, \"scan_1M_points_p99_ms\": %.2f}\n",
      (unsigned long long)total(skab), (unsigned long long)total(fleet), skab_e.rate, fleet_e.rate,
      skab_e.bytes_per_sample, fleet_e.bytes_per_sample, skab_s.rate, fleet_s.rate, skab_s.bytes_per_sample,
      fleet_s.bytes_per_sample, fleet_e.rate / fleet_s.rate, fleet_e.bytes_per_sample / fleet_s.bytes_per_sample,
      pct(lat, 0.5), pct(lat, 0.99), (long long)(span / kSec), pct(scan, 0.5), pct(scan, 0.99));
  return 0;
}
