// kill -9 during ingest: a forked child writes batches as fast as it can and reports each
// acknowledged batch on a pipe; the parent SIGKILLs it after a chosen number of acks (so the
// kill lands while batches, seals and log truncation are under way), reopens the store and
// checks that every acknowledged batch is there, bit-exact, and that every other batch is
// either whole or absent. Synchronised by the pipe only: no sleeps, no timing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <cstdio>
#include <cstring>
#include <map>

#include "tsdb/engine.h"

namespace iotwins::tsdb {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;
constexpr int kSeries = 20;
constexpr int kPerBatch = 50;  // samples per series per batch, 1 s apart

double value_of(int series, int64_t ts) { return static_cast<double>((ts - kT0) / kSec) * 0.25 + series; }

SeriesKey key_of(int series) { return {"kill-" + std::to_string(series), "v", {{"n", std::to_string(series % 3)}}}; }

StoreOptions options(const std::string& dir) {
  StoreOptions o;
  o.dir = dir;
  o.window_ns = 600 * kSec;  // a seal every 12 batches
  o.seal_grace_ns = 30 * kSec;
  o.rollup_ns = {60 * kSec};  // must divide the window
  o.sync_writes = false;     // a process crash keeps what reached the OS
  return o;
}

[[noreturn]] void run_writer(const std::string& dir, int ack_fd) {
  auto s = EmbeddedStore::open(PosixFileSystem::instance(), options(dir));
  if (!s) {
    std::fprintf(stderr, "writer: %s\n", s.error().to_string().c_str());
    _exit(2);
  }
  std::vector<std::vector<Sample>> samples(kSeries, std::vector<Sample>(kPerBatch));
  std::vector<SeriesWrite> batch(kSeries);
  for (uint64_t b = 0; b < 1'000'000; ++b) {
    for (int i = 0; i < kSeries; ++i) {
      for (int j = 0; j < kPerBatch; ++j) {
        int64_t ts = kT0 + static_cast<int64_t>(b * kPerBatch + j) * kSec;
        samples[i][j] = {ts, value_of(i, ts)};
      }
      batch[i] = {key_of(i), samples[i]};
    }
    if (!(*s)->write(batch)) _exit(3);
    if (::write(ack_fd, &b, sizeof(b)) != sizeof(b)) _exit(4);  // atomic: < PIPE_BUF
  }
  _exit(0);
}

TEST(KillTest, AcknowledgedBatchesSurviveSigkillDuringIngest) {
  for (uint64_t kill_after : {1u, 37u, 150u, 401u}) {
    std::string dir = ::testing::TempDir() + "tsdb_kill_" + std::to_string(kill_after);
    std::filesystem::remove_all(dir);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      run_writer(dir, fds[1]);
    }
    close(fds[1]);
    int64_t acked = -1;
    uint64_t seen = 0;
    bool killed = false;
    char buf[4096];
    size_t have = 0;
    while (true) {
      ssize_t n = ::read(fds[0], buf + have, sizeof(buf) - have);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      have += static_cast<size_t>(n);
      size_t at = 0;
      for (; have - at >= 8; at += 8) {
        uint64_t b = 0;
        std::memcpy(&b, buf + at, 8);
        ASSERT_EQ(b, seen) << "acks arrive in order";
        acked = static_cast<int64_t>(b);
        ++seen;
      }
      std::memmove(buf, buf + at, have - at);
      have -= at;
      if (!killed && seen >= kill_after) {
        ASSERT_EQ(kill(pid, SIGKILL), 0);
        killed = true;  // keep reading: acks written before the kill still count
      }
    }
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "writer exited " << status;

    auto s = EmbeddedStore::open(PosixFileSystem::instance(), options(dir));
    ASSERT_TRUE(s) << s.error().to_string();
    size_t first_count = 0;
    for (int i = 0; i < kSeries; ++i) {
      std::map<int64_t, double> got;
      RangeQuery q{{key_of(i).twin, "v", {}}, kT0, kT0 + (int64_t{1} << 50)};
      ASSERT_TRUE((*s)->read(q, [&](const SeriesKey&, std::span<const Sample> run) {
        for (auto x : run) got[x.ts] = x.value;
        return true;
      }));
      // Batches 0..acked all present; after that whole batches or nothing, contiguously.
      ASSERT_EQ(got.size() % kPerBatch, 0u) << "series " << i << " holds a partial batch";
      auto batches = static_cast<int64_t>(got.size() / kPerBatch);
      if (i == 0) first_count = got.size();
      ASSERT_EQ(got.size(), first_count) << "a batch is one log record: all its series or none";
      ASSERT_GE(batches, acked + 1) << "kill after " << kill_after << ": series " << i << " lost acknowledged data";
      int64_t expect_ts = kT0;
      for (auto [ts, v] : got) {
        ASSERT_EQ(ts, expect_ts);
        ASSERT_EQ(v, value_of(i, ts));
        expect_ts += kSec;
      }
    }
    std::filesystem::remove_all(dir);
  }
}

}  // namespace
}  // namespace iotwins::tsdb
