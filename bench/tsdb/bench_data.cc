#include "bench_data.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace tsdb_bench {

namespace fsys = std::filesystem;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

void die(const std::string& what) {
  std::fprintf(stderr, "tsdb_bench: %s\n", what.c_str());
  std::exit(1);
}

uint64_t total(const std::vector<Series>& d) {
  uint64_t n = 0;
  for (const auto& s : d) n += s.samples.size();
  return n;
}

uint64_t dir_bytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : fsys::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
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
  for (int i = 0; i < n; ++i) {
    char twin[32];
    std::snprintf(twin, sizeof(twin), "fleet-%05d", i);
    out[i].key = {twin, "temperature", {{"model", i % 2 ? "pump-a" : "pump-b"}}};
    double v = 20 + static_cast<double>(rng() % 2000) / 100;
    for (int s = 0; s < seconds; ++s) {
      v = std::round((v + (static_cast<double>(rng() % 21) - 10) / 100) * 100) / 100;
      out[i].samples.push_back({kFleetT0 + s * kSec, v});
    }
  }
  return out;
}

// Writes in time slices of `slice` samples per series, every series in one batch per slice.
Ingest ingest_engine(const std::vector<Series>& d, const std::string& dir, size_t slice, std::vector<int64_t> rollup_ns) {
  fsys::remove_all(dir);
  StoreOptions o;
  o.dir = dir;
  o.sync_writes = false;
  o.window_ns = 2 * 3600 * kSec;
  o.rollup_ns = std::move(rollup_ns);
  auto store = std::move(*EmbeddedStore::open(PosixFileSystem::instance(), o));
  size_t longest = 0;
  for (const auto& s : d) longest = std::max(longest, s.samples.size());
  double t = now_s(), c = cpu_s();
  std::vector<SeriesWrite> batch;
  for (size_t at = 0; at < longest; at += slice) {
    batch.clear();
    for (const auto& s : d) {
      if (at >= s.samples.size()) continue;
      batch.push_back({s.key, std::span(s.samples).subspan(at, std::min(slice, s.samples.size() - at))});
    }
    if (auto st = store->write(batch); !st) die("write: " + st.error().to_string());
  }
  if (auto st = store->flush(); !st) die("flush: " + st.error().to_string());
  double dt = now_s() - t, dc = cpu_s() - c;
  Ingest r;
  r.rate = static_cast<double>(total(d)) / dt;
  r.cpu_rate = static_cast<double>(total(d)) / dc;
  r.bytes_per_sample = static_cast<double>(store->stats().block_bytes) / static_cast<double>(total(d));
  r.disk_bytes = dir_bytes(dir);
  return r;
}

}  // namespace tsdb_bench
