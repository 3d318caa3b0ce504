// WAL append throughput: 100-byte records, fsync policy always / batch / never, 1 and 8 writer
// threads, against the anchor measured in the same run on the same disk: a raw loop of
// write(100 bytes) + fdatasync, which is what one durable append costs without group commit.
// Prints one JSON object.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "wal/wal.h"

using namespace iotwins;
using Steady = std::chrono::steady_clock;

namespace {

constexpr size_t kRecordBytes = 100;

double raw_fdatasync_per_s(const std::string& dir, double seconds) {
  std::string path = dir + "/raw";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  if (fd < 0) std::exit(2);
  std::string record(kRecordBytes, 'r');
  uint64_t n = 0;
  auto end = Steady::now() + std::chrono::duration<double>(seconds);
  auto start = Steady::now();
  while (Steady::now() < end) {
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) break;
    if (::fdatasync(fd) != 0) break;
    ++n;
  }
  double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  ::close(fd);
  std::filesystem::remove(path);
  return n / elapsed;
}

double wal_appends_per_s(const std::string& dir, wal::FsyncPolicy policy, int threads,
                         double seconds) {
  std::filesystem::remove_all(dir);
  auto w = wal::Wal::open(PosixFileSystem::instance(), dir,
                          {.fsync = policy, .max_total_bytes = 64ull << 30});
  if (!w) {
    std::fprintf(stderr, "open: %s\n", w.error().to_string().c_str());
    std::exit(2);
  }
  std::atomic<uint64_t> total{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> pool;
  auto start = Steady::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      std::string record(kRecordBytes, 'w');
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (!(*w)->append(record)) std::abort();
        ++n;
      }
      total += n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : pool) t.join();
  double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  w->reset();
  std::filesystem::remove_all(dir);
  return total.load() / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: wal_bench DIR SECONDS_PER_RUN\n");
    return 2;
  }
  std::string dir = argv[1];
  double seconds = std::atof(argv[2]);
  std::filesystem::create_directories(dir);
  double raw = raw_fdatasync_per_s(dir, seconds);
  struct Run {
    const char* name;
    wal::FsyncPolicy policy;
    int threads;
    double rate = 0;
  };
  std::vector<Run> runs = {{"always_1", wal::FsyncPolicy::always, 1},
                           {"always_8", wal::FsyncPolicy::always, 8},
                           {"batch_1", wal::FsyncPolicy::batch, 1},
                           {"batch_8", wal::FsyncPolicy::batch, 8},
                           {"never_1", wal::FsyncPolicy::never, 1},
                           {"never_8", wal::FsyncPolicy::never, 8}};
  for (auto& r : runs) r.rate = wal_appends_per_s(dir + "/wal", r.policy, r.threads, seconds);
  std::string json = "{\"record_bytes\": 100, \"seconds_per_run\": " + std::to_string(seconds) +
                     ", \"unit\": \"appends/s\", \"anchor_raw_write_fdatasync_per_s\": " +
                     std::to_string(raw);
  for (const auto& r : runs) {
    json += ", \"" + std::string(r.name) + "\": " + std::to_string(r.rate);
    json += ", \"" + std::string(r.name) + "_vs_anchor\": " + std::to_string(r.rate / raw);
  }
  json += "}";
  std::printf("%s\n", json.c_str());
  return 0;
}
