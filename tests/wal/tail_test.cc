// TailReader: reading a Wal another process appends to; external consumer offsets.
// "Another process" is a second object on the same directory, and once a forked child.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "test_util.h"
#include "testing/fault_fs.h"
#include "wal/format.h"
#include "wal/tail.h"

namespace iotwins::wal {
namespace {

using namespace std::chrono_literals;
namespace fsys = std::filesystem;

PosixFileSystem& posix() { return PosixFileSystem::instance(); }

// Every record the tail returns until it reports nothing more.
Result<std::vector<WalRecord>> drain(TailReader& tail) {
  std::vector<WalRecord> out;
  while (true) {
    IOT_ASSIGN(auto record, tail.next());
    if (!record) return out;
    out.push_back(std::move(*record));
  }
}

void expect_payloads(const std::vector<WalRecord>& records, uint64_t first, uint64_t last) {
  ASSERT_EQ(records.size(), last + 1 - first);
  for (uint64_t i = first; i <= last; ++i) {
    EXPECT_EQ(records[i - first].seq, i);
    EXPECT_EQ(records[i - first].payload, payload(i));
  }
}

void append_bytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void flip_byte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

TEST(TailReader, ReadsWhatAnotherWalAppendsInOrder) {
  std::string dir = fresh_dir();
  auto wal = Wal::open(posix(), dir, {.fsync = FsyncPolicy::periodic});
  ASSERT_TRUE(wal);
  auto tail = TailReader::open(posix(), dir, 1);
  ASSERT_TRUE(tail);
  auto none = drain(**tail);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  for (uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
  auto first = drain(**tail);
  ASSERT_TRUE(first) << first.error().to_string();
  expect_payloads(*first, 1, 5);
  for (uint64_t i = 6; i <= 8; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
  auto more = drain(**tail);
  ASSERT_TRUE(more);
  expect_payloads(*more, 6, 8);
  // A reader may start anywhere.
  auto late = TailReader::open(posix(), dir, 4);
  ASSERT_TRUE(late);
  auto from4 = drain(**late);
  ASSERT_TRUE(from4);
  expect_payloads(*from4, 4, 8);
}

TEST(TailReader, MissingDirectoryOrNoSegmentYet) {
  std::string dir = fresh_dir();
  auto missing = TailReader::open(posix(), dir + "/nope", 1);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::not_found);
  auto tail = TailReader::open(posix(), dir, 1);  // the writer has not started yet
  ASSERT_TRUE(tail);
  auto record = (*tail)->next();
  ASSERT_TRUE(record);
  EXPECT_FALSE(*record);
  EXPECT_EQ(*(*tail)->first_available_seq(), 0u);
}

TEST(TailReader, IncompleteTailIsNotWrittenYetAndIsReadOnceComplete) {
  std::string dir = fresh_dir();
  {
    auto wal = Wal::open(posix(), dir, {.fsync = FsyncPolicy::always});
    ASSERT_TRUE(wal);
    for (uint64_t i = 1; i <= 3; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
  }
  std::string segment = join_path(dir, segment_name(1));
  std::string frame;
  encode_frame(frame, 4, 123, payload(4));
  auto tail = TailReader::open(posix(), dir, 1);
  ASSERT_TRUE(tail);
  for (size_t cut : {size_t{10}, size_t{24}, frame.size() - 1}) {
    append_bytes(segment, std::string_view(frame).substr(0, cut));
    auto records = drain(**tail);
    ASSERT_TRUE(records) << "cut " << cut << ": " << records.error().to_string();
    EXPECT_EQ((*tail)->next_seq(), 4u);
    // Take the partial frame back out, as the writer's recovery would.
    fsys::resize_file(segment, fsys::file_size(segment) - cut);
  }
  append_bytes(segment, frame);
  auto record = (*tail)->next();
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((*record)->seq, 4u);
  EXPECT_EQ((*record)->ts_ns, 123);
  EXPECT_EQ((*record)->payload, payload(4));

  // A new segment whose header is still being written: nothing yet, not corruption.
  std::string next = join_path(dir, segment_name(5));
  std::string header = encode_segment_header(5);
  append_bytes(next, header.substr(0, 7));
  auto nothing = (*tail)->next();
  ASSERT_TRUE(nothing) << nothing.error().to_string();
  EXPECT_FALSE(*nothing);
  append_bytes(next, header.substr(7));
  std::string frame5;
  encode_frame(frame5, 5, 0, payload(5));
  append_bytes(next, frame5);
  auto five = (*tail)->next();
  ASSERT_TRUE(five && *five) << (five ? "none" : five.error().to_string());
  EXPECT_EQ((*five)->payload, payload(5));
}

TEST(TailReader, CorruptionIsAnErrorAndARetryAfterRecoveryContinues) {
  std::string dir = fresh_dir();
  auto wal = Wal::open(posix(), dir, {.fsync = FsyncPolicy::always});
  ASSERT_TRUE(wal);
  for (uint64_t i = 1; i <= 3; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
  wal->reset();
  std::string segment = join_path(dir, segment_name(1));
  // Damage the payload of record 3, the last: a torn tail the writer's recovery will cut.
  flip_byte(segment, fsys::file_size(segment) - 1);
  auto tail = TailReader::open(posix(), dir, 1);
  ASSERT_TRUE(tail);
  auto one = (*tail)->next();
  auto two = (*tail)->next();
  ASSERT_TRUE(one && *one && two && *two);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto bad = (*tail)->next();
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code(), Errc::corruption);
    EXPECT_NE(bad.error().message().find(segment_name(1)), std::string::npos);
  }
  auto reopened = Wal::open(posix(), dir, {.fsync = FsyncPolicy::always});  // cuts the tail
  ASSERT_TRUE(reopened);
  ASSERT_EQ(*(*reopened)->append("a new record 3"), 3u);
  auto three = (*tail)->next();
  ASSERT_TRUE(three && *three) << (three ? "none" : three.error().to_string());
  EXPECT_EQ((*three)->payload, "a new record 3");
}

TEST(TailReader, DamageInsideASealedSegmentIsCorruption) {
  std::string dir = fresh_dir();
  auto wal = Wal::open(posix(), dir, {.fsync = FsyncPolicy::periodic, .max_segment_bytes = 1024});
  ASSERT_TRUE(wal);
  for (uint64_t i = 1; i <= 60; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
  ASSERT_GT((*wal)->stats().segments, 1u);
  flip_byte(join_path(dir, segment_name(1)), kSegmentHeaderSize + kFrameHeaderSize + 2);
  auto tail = TailReader::open(posix(), dir, 1);
  ASSERT_TRUE(tail);
  auto bad = (*tail)->next();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::corruption);
  EXPECT_NE(bad.error().message().find("checksum"), std::string::npos);
}

TEST(TailReader, FollowsRotationWhileTheWriterAppends) {
  std::string dir = fresh_dir();
  auto wal = Wal::open(posix(), dir, {.fsync = FsyncPolicy::periodic, .max_segment_bytes = 1024});
  ASSERT_TRUE(wal);
  auto tail = TailReader::open(posix(), dir, 1);
  ASSERT_TRUE(tail);
  std::vector<WalRecord> seen;
  for (uint64_t i = 1; i <= 500; ++i) {
    ASSERT_TRUE((*wal)->append(payload(i)));
    if (i % 7 == 0) {
      auto got = drain(**tail);
      ASSERT_TRUE(got) << got.error().to_string();
      seen.insert(seen.end(), got->begin(), got->end());
    }
  }
  auto rest = drain(**tail);
  ASSERT_TRUE(rest);
  seen.insert(seen.end(), rest->begin(), rest->end());
  EXPECT_GT((*wal)->stats().segments, 10u);
  expect_payloads(seen, 1, 500);
}

TEST(TailReader, SurvivesTruncationAndReportsRecordsDeletedUnderIt) {
  std::string dir = fresh_dir();
  auto wal = Wal::open(posix(), dir, {.fsync = FsyncPolicy::periodic, .max_segment_bytes = 1024});
  ASSERT_TRUE(wal);
  for (uint64_t i = 1; i <= 200; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
  auto tail = TailReader::open(posix(), dir, 1);
  ASSERT_TRUE(tail);
  auto first = (*tail)->next();  // holds segment 1 open now
  ASSERT_TRUE(first && *first);
  ASSERT_TRUE((*wal)->commit_offset("other", 150));
  EXPECT_GT((*wal)->stats().first_seq, 1u);
  EXPECT_FALSE(fsys::exists(join_path(dir, segment_name(1))));
  // The open segment is still readable; beyond it, what was deleted is reported.
  std::vector<WalRecord> seen{**first};
  Result<std::optional<WalRecord>> next;
  while ((next = (*tail)->next()) && *next) seen.push_back(**next);
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code(), Errc::not_found);
  EXPECT_GE(seen.size(), 2u);
  auto oldest = (*tail)->first_available_seq();
  ASSERT_TRUE(oldest);
  EXPECT_EQ(*oldest, (*wal)->stats().first_seq);
  (*tail)->seek(*oldest);
  auto rest = drain(**tail);
  ASSERT_TRUE(rest) << rest.error().to_string();
  expect_payloads(*rest, *oldest, 200);
}

TEST(ExternalOffsets, TheOwnerPicksThemUpAndTruncates) {
  std::string dir = fresh_dir();
  auto wal = Wal::open(posix(), dir, {.fsync = FsyncPolicy::periodic, .max_segment_bytes = 1024});
  ASSERT_TRUE(wal);
  for (uint64_t i = 1; i <= 200; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
  EXPECT_EQ(*(*wal)->load_external_offsets(), 0u);
  auto none = read_external_offset(posix(), dir, "agent");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);

  ASSERT_TRUE(commit_external_offset(posix(), dir, "agent", 150));
  EXPECT_EQ(**read_external_offset(posix(), dir, "agent"), 150u);
  EXPECT_EQ((*wal)->stats().first_seq, 1u) << "nothing moves before the owner looks";
  EXPECT_EQ(*(*wal)->load_external_offsets(), 1u);
  EXPECT_EQ(*(*wal)->consumer_offset("agent"), 150u);
  uint64_t first = (*wal)->stats().first_seq;
  EXPECT_GT(first, 100u);
  EXPECT_LE(first, 151u);
  EXPECT_EQ(*(*wal)->load_external_offsets(), 0u) << "unchanged";
  // An offset behind the known one is ignored (drop_oldest may have moved the consumer on).
  ASSERT_TRUE(commit_external_offset(posix(), dir, "agent", 120));
  EXPECT_EQ(*(*wal)->load_external_offsets(), 0u);
  EXPECT_EQ(*(*wal)->consumer_offset("agent"), 150u);
  // The owner persisted it: a reopen keeps it.
  wal->reset();
  auto again = Wal::open(posix(), dir, {.fsync = FsyncPolicy::periodic, .max_segment_bytes = 1024});
  ASSERT_TRUE(again);
  EXPECT_EQ(*(*again)->consumer_offset("agent"), 150u);
}

TEST(ExternalOffsets, BadNamesAndDamagedFilesAreErrors) {
  std::string dir = fresh_dir();
  auto wal = Wal::open(posix(), dir);
  ASSERT_TRUE(wal);
  auto bad_name = commit_external_offset(posix(), dir, "a/b", 1);
  ASSERT_FALSE(bad_name);
  EXPECT_EQ(bad_name.error().code(), Errc::invalid_argument);
  ASSERT_TRUE((*wal)->append("x"));
  ASSERT_TRUE(commit_external_offset(posix(), dir, "agent", 1));
  ASSERT_TRUE(commit_external_offset(posix(), dir, "other", 1));
  flip_byte(join_path(dir, "agent.offset"), 25);
  auto loaded = (*wal)->load_external_offsets();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code(), Errc::corruption);
  EXPECT_NE(loaded.error().message().find("agent.offset"), std::string::npos);
  EXPECT_FALSE((*wal)->consumer_offset("agent")) << "the damaged one is not applied";
  EXPECT_EQ(*(*wal)->consumer_offset("other"), 1u) << "the others are";
  append_bytes(join_path(dir, "bad name.offset"), "x");
  std::filesystem::remove(join_path(dir, "agent.offset"));
  auto misnamed = (*wal)->load_external_offsets();
  ASSERT_FALSE(misnamed);
  EXPECT_EQ(misnamed.error().code(), Errc::invalid_argument);
  EXPECT_NE(misnamed.error().message().find("bad name.offset"), std::string::npos);
}

TEST(ExternalOffsets, CrashAtEveryStepOfLoadingLeavesOldOrNewOffset) {
  WalOptions opts{.fsync = FsyncPolicy::always, .max_segment_bytes = 1024};
  for (uint64_t step = 0;; ++step) {
    std::string dir = fresh_dir("." + std::to_string(step));
    FaultInjectingFileSystem fs(posix(), /*forward_syncs=*/false);
    auto wal = Wal::open(fs, dir, opts);
    ASSERT_TRUE(wal);
    for (uint64_t i = 1; i <= 100; ++i) ASSERT_TRUE((*wal)->append(payload(i)));
    ASSERT_TRUE((*wal)->commit_offset("agent", 10));
    ASSERT_TRUE(commit_external_offset(fs, dir, "agent", 80));
    fs.crash_at_op(fs.mutating_ops() + step);
    auto loaded = (*wal)->load_external_offsets();
    bool crashed = fs.is_down();
    wal->reset();
    ASSERT_TRUE(fs.simulate_crash());
    auto after = Wal::open(fs, dir, opts);
    ASSERT_TRUE(after) << "step " << step << ": " << after.error().to_string();
    uint64_t offset = *(*after)->consumer_offset("agent");
    EXPECT_TRUE(offset == 10 || offset == 80) << "step " << step;
    auto records = read_all(**after, (*after)->stats().first_seq);
    ASSERT_TRUE(records) << "step " << step << ": " << records.error().to_string();
    ASSERT_FALSE(records->empty());
    EXPECT_EQ(records->back().seq, 100u);
    EXPECT_LE((*after)->stats().first_seq, offset + 1);
    if (!crashed) {
      ASSERT_TRUE(loaded) << loaded.error().to_string();
      EXPECT_EQ(offset, 80u);
      EXPECT_GT(step, 2u) << "loading should take several mutating steps";
      break;
    }
  }
}

// A real second process: a forked child appends under fsync periodic and is killed -9; the
// parent tails it meanwhile and, after the kill, finds every record the child acknowledged.
TEST(TailReader, FollowsAChildProcessAndAcknowledgedRecordsSurviveItsKill) {
  std::string dir = fresh_dir();
  constexpr uint64_t kRecords = 3000;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    auto wal = Wal::open(posix(), dir, {.fsync = FsyncPolicy::periodic,
                                        .sync_interval = std::chrono::hours(1),
                                        .max_segment_bytes = 16384});
    if (!wal) ::_exit(2);
    for (uint64_t i = 1; i <= kRecords; ++i) {
      if (!(*wal)->append(payload(i))) ::_exit(3);
    }
    char done = 'd';
    if (::write(ready[1], &done, 1) != 1) ::_exit(4);
    while (true) ::pause();  // killed by the parent
  }
  ::close(ready[1]);
  auto tail_opened = [&]() -> Result<std::unique_ptr<TailReader>> {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (true) {
      auto t = TailReader::open(posix(), dir, 1);
      if (t || std::chrono::steady_clock::now() > deadline) return t;
      std::this_thread::yield();
    }
  }();
  ASSERT_TRUE(tail_opened) << tail_opened.error().to_string();
  auto& tail = **tail_opened;
  std::vector<WalRecord> seen;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (seen.size() < kRecords && std::chrono::steady_clock::now() < deadline) {
    auto got = drain(tail);
    ASSERT_TRUE(got) << got.error().to_string();
    seen.insert(seen.end(), got->begin(), got->end());
  }
  char done = 0;
  ASSERT_EQ(::read(ready[0], &done, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  expect_payloads(seen, 1, kRecords);

  // kill -9 loses nothing under periodic: the page cache survives the process.
  auto wal = Wal::open(posix(), dir, {.fsync = FsyncPolicy::periodic});
  ASSERT_TRUE(wal) << wal.error().to_string();
  EXPECT_EQ((*wal)->committed_seq(), kRecords);
}

}  // namespace
}  // namespace iotwins::wal
