// `tsdb_bench compare SKAB_DIR WORK_DIR FLEET_SECONDS`: ingest rate and bytes per sample of
// the embedded engine against SQLite (plain table, WAL, batched transactions) on the same
// data, measured in one run, plus query latencies.
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "bench_data.h"

namespace tsdb_bench {
namespace {

namespace fsys = std::filesystem;

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
  double t = now_s(), c = cpu_s();
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
  double dt = now_s() - t, dc = cpu_s() - c;
  sqlite3_close(db);
  Ingest r;
  r.rate = static_cast<double>(total(d)) / dt;
  r.cpu_rate = static_cast<double>(total(d)) / dc;
  r.bytes_per_sample = static_cast<double>(fsys::file_size(path)) / static_cast<double>(total(d));
  return r;
}

}  // namespace

int run_compare(int argc, char** argv) {
  if (argc != 5) die("usage: tsdb_bench compare SKAB_DIR WORK_DIR FLEET_SECONDS");
  const char* skab_dir = argv[2];
  std::string work = argv[3];
  int seconds = std::atoi(argv[4]);
  auto skab = load_skab(skab_dir);
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
  int64_t t0 = kFleetT0;
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
      " \"engine_skab_ingest_samples_per_cpu_s\": %.0f, \"engine_fleet_ingest_samples_per_cpu_s\": %.0f,"
      " \"engine_skab_bytes_per_sample\": %.3f, \"engine_fleet_bytes_per_sample\": %.3f,"
      " \"engine_fleet_disk_bytes_per_sample_with_rollups\": %.3f,"
      " \"sqlite_skab_ingest_samples_per_s\": %.0f, \"sqlite_fleet_ingest_samples_per_s\": %.0f,"
      " \"sqlite_fleet_ingest_samples_per_cpu_s\": %.0f,"
      " \"sqlite_skab_bytes_per_sample\": %.3f, \"sqlite_fleet_bytes_per_sample\": %.3f,"
      " \"fleet_ingest_ratio_vs_sqlite\": %.2f, \"fleet_ingest_cpu_ratio_vs_sqlite\": %.2f, \"fleet_bytes_ratio_vs_sqlite\": %.4f,"
      " \"query_mean_per_min_1000_series_p50_ms\": %.2f, \"query_mean_per_min_1000_series_p99_ms\": %.2f,"
      " \"query_span_s\": %lld, \"scan_1M_points_p50_ms\": %.2f, \"scan_1M_points_p99_ms\": %.2f}\n",
      (unsigned long long)total(skab), (unsigned long long)total(fleet), skab_e.rate, fleet_e.rate, skab_e.cpu_rate,
      fleet_e.cpu_rate, skab_e.bytes_per_sample, fleet_e.bytes_per_sample,
      static_cast<double>(fleet_e.disk_bytes) / static_cast<double>(total(fleet)), skab_s.rate, fleet_s.rate,
      fleet_s.cpu_rate, skab_s.bytes_per_sample, fleet_s.bytes_per_sample, fleet_e.rate / fleet_s.rate,
      fleet_e.cpu_rate / fleet_s.cpu_rate, fleet_e.bytes_per_sample / fleet_s.bytes_per_sample, pct(lat, 0.5),
      pct(lat, 0.99), (long long)(span / kSec), pct(scan, 0.5), pct(scan, 0.99));
  return 0;
}

}  // namespace tsdb_bench
