// Shared pieces of the tsdb benchmark driver: the data sets, the engine ingest loop, and
// small measuring helpers. Each subcommand lives in its own file (bench_*.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tsdb/engine.h"

namespace tsdb_bench {

using namespace iotwins;
using namespace iotwins::tsdb;

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kFleetT0 = 1'700'000'000LL * kSec;

struct Series {
  SeriesKey key;
  std::vector<Sample> samples;
};

double now_s();
// CPU seconds of this process (all threads): rates per CPU-second hold up on a loaded machine.
double cpu_s();
// SKAB's 8 sensor columns, one series per (CSV file, column).
std::vector<Series> load_skab(const std::string& dir);
// n series "fleet-%05d"/temperature{model} at 1 Hz from kFleetT0: 2-decimal random walks, seeded.
std::vector<Series> make_fleet(int n, int seconds);
uint64_t total(const std::vector<Series>& d);
// Bytes of every regular file under dir (apparent sizes, like du -sb).
uint64_t dir_bytes(const std::string& dir);
double pct(std::vector<double> v, double p);
[[noreturn]] void die(const std::string& what);

struct Ingest {
  double rate = 0;              // samples per wall-clock second, flush included
  double cpu_rate = 0;          // samples per CPU second of this process
  double bytes_per_sample = 0;  // raw block bytes / samples
  uint64_t disk_bytes = 0;      // every file of the store after flush (blocks, rollups, log, index)
};
// Writes in time slices of `slice` samples per series, every series in one batch per slice,
// then flushes. `rollup_ns` overrides StoreOptions::rollup_ns.
Ingest ingest_engine(const std::vector<Series>& d, const std::string& dir, size_t slice,
                     std::vector<int64_t> rollup_ns = {60 * kSec, 3600 * kSec});

int run_compare(int argc, char** argv);
int run_influx(int argc, char** argv);
int run_kill(int argc, char** argv);

}  // namespace tsdb_bench
