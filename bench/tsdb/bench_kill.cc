// `tsdb_bench kill WORK_DIR INGEST_SECONDS SERIES`: kill -9 at full ingest rate. A forked child
// writes batches (SERIES series x 60 samples, 1 Hz, the next minute each batch; sync_writes
// off: a process crash keeps what reached the OS) as fast as it can and writes each
// acknowledged batch number to a pipe. After INGEST_SECONDS the parent SIGKILLs it, reads
// the acks that made it into the pipe, reopens the store (timed: log replay included) and
// checks that every acknowledged sample is there with its value; batches after the last ack
// must be whole or absent.
#include <signal.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "bench_data.h"

namespace tsdb_bench {
namespace {

constexpr int kPerBatch = 60;

double value_of(size_t series, int64_t ts) {
  return static_cast<double>((ts - kFleetT0) / kSec % 10000) / 100 + static_cast<double>(series);
}

StoreOptions options(const std::string& dir) {
  StoreOptions o;
  o.dir = dir;
  o.sync_writes = false;
  o.window_ns = 3600 * kSec;  // a seal every 60 batches, so kills also land in seals
  o.seal_grace_ns = 60 * kSec;
  return o;
}

[[noreturn]] void writer(const std::string& dir, std::vector<SeriesKey> keys, int ack_fd) {
  auto s = EmbeddedStore::open(PosixFileSystem::instance(), options(dir));
  if (!s) die("writer open: " + s.error().to_string());
  std::vector<std::vector<Sample>> samples(keys.size(), std::vector<Sample>(kPerBatch));
  std::vector<SeriesWrite> batch(keys.size());
  for (uint64_t b = 0;; ++b) {
    for (size_t i = 0; i < keys.size(); ++i) {
      for (int j = 0; j < kPerBatch; ++j) {
        int64_t ts = kFleetT0 + static_cast<int64_t>(b * kPerBatch + static_cast<uint64_t>(j)) * kSec;
        samples[i][static_cast<size_t>(j)] = {ts, value_of(i, ts)};
      }
      batch[i] = {keys[i], samples[i]};
    }
    if (auto st = (*s)->write(batch); !st) die("writer: " + st.error().to_string());
    if (::write(ack_fd, &b, sizeof(b)) != sizeof(b)) _exit(4);
  }
}

}  // namespace

int run_kill(int argc, char** argv) {
  if (argc != 5) die("usage: tsdb_bench kill WORK_DIR INGEST_SECONDS SERIES");
  std::string dir = std::string(argv[2]) + "/kill";
  double ingest_s = std::atof(argv[3]);
  int n_series = std::atoi(argv[4]);
  std::filesystem::remove_all(dir);
  std::vector<SeriesKey> keys;
  for (int i = 0; i < n_series; ++i) {
    char twin[32];
    std::snprintf(twin, sizeof(twin), "fleet-%05d", i);
    keys.push_back({twin, "temperature", {{"model", i % 2 ? "pump-a" : "pump-b"}}});
  }
  int fds[2];
  if (pipe(fds) != 0) die("pipe");
  double t0 = now_s();
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    close(fds[0]);
    writer(dir, keys, fds[1]);
  }
  close(fds[1]);
  int64_t acked = -1;
  bool killed = false;
  double killed_at = 0;
  char buf[4096];
  size_t have = 0;
  while (true) {
    if (!killed) {
      pollfd p{fds[0], POLLIN, 0};
      int wait_ms = static_cast<int>(std::max(0.0, (t0 + ingest_s - now_s()) * 1000));
      if (poll(&p, 1, wait_ms) == 0 || now_s() >= t0 + ingest_s) {
        kill(pid, SIGKILL);
        killed = true;
        killed_at = now_s();
        continue;
      }
    }
    ssize_t n = ::read(fds[0], buf + have, sizeof(buf) - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += static_cast<size_t>(n);
    size_t at = 0;
    for (; have - at >= 8; at += 8) {
      uint64_t b = 0;
      std::memcpy(&b, buf + at, 8);
      acked = static_cast<int64_t>(b);
    }
    std::memmove(buf, buf + at, have - at);
    have -= at;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFSIGNALED(status)) die("writer ended on its own (status " + std::to_string(status) + ")");
  double rate = static_cast<double>(acked + 1) * kPerBatch * n_series / (killed_at - t0);

  double t = now_s();
  auto s = EmbeddedStore::open(PosixFileSystem::instance(), options(dir));
  double reopen_ms = (now_s() - t) * 1e3;
  if (!s) die("reopen after kill -9: " + s.error().to_string());
  uint64_t verified = 0, extra_batches = 0;
  for (int i = 0; i < n_series; ++i) {
    uint64_t count = 0;
    int64_t expect_ts = kFleetT0;
    bool good = true;
    auto st = (*s)->read({{keys[i].twin, keys[i].property, {}}, kFleetT0, kFleetT0 + (int64_t{1} << 50)},
                         [&](const SeriesKey&, std::span<const Sample> run) {
                           for (auto x : run) {
                             good = good && x.ts == expect_ts && x.value == value_of(static_cast<size_t>(i), x.ts);
                             expect_ts += kSec;
                           }
                           count += run.size();
                           return good;
                         });
    if (!st) die("read: " + st.error().to_string());
    if (!good || count % kPerBatch != 0 || static_cast<int64_t>(count / kPerBatch) < acked + 1) {
      die("series " + keys[i].twin + ": " + std::to_string(count) + " samples after kill -9, " +
          std::to_string((acked + 1) * kPerBatch) + " acknowledged" + (good ? "" : ", wrong values"));
    }
    verified += static_cast<uint64_t>(acked + 1) * kPerBatch;
    extra_batches += count / kPerBatch - static_cast<uint64_t>(acked + 1);
  }
  std::printf(
      "{\"kill_series\": %d, \"kill_ingest_s\": %.1f, \"kill_acked_batches\": %lld,"
      " \"kill_ingest_samples_per_s\": %.0f, \"kill_acked_samples_verified\": %llu, \"kill_lost_samples\": 0,"
      " \"kill_unacked_batches_present\": %llu, \"kill_reopen_ms\": %.1f, \"kill_log_bytes_replayed\": %llu}\n",
      n_series, killed_at - t0, (long long)(acked + 1), rate, (unsigned long long)verified,
      (unsigned long long)(extra_batches / static_cast<uint64_t>(n_series)), reopen_ms,
      (unsigned long long)dir_bytes(dir + "/wal"));
  return 0;
}

}  // namespace tsdb_bench
