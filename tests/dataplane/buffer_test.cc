// Streams, the receiver's exactly-once rule, and the consumer that forwards/apply runs.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <chrono>
#include <filesystem>
#include <thread>

#include "core/clock.h"
#include "dataplane/buffer/consumer.h"
#include "dataplane/buffer/receiver.h"
#include "dataplane/buffer/sinks.h"
#include "dataplane/buffer/stream.h"
#include "tsdb/engine.h"
#include "wal/reader.h"

namespace iotwins::dataplane {
namespace {

using namespace std::chrono_literals;

class BufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "dp_buffer_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  std::unique_ptr<Stream> open_stream(std::string sub, StreamOptions o = {}) {
    if (o.name.empty()) o.name = "telemetry";
    o.fsync = wal::FsyncPolicy::never;
    auto s = Stream::open(fs_, dir_ + "/" + sub, o, SystemClock::instance());
    EXPECT_TRUE(s) << s.error().message();
    return std::move(*s);
  }
  static std::vector<Record> samples(int n, int64_t t0 = 1'700'000'000'000'000'000) {
    std::vector<Record> out;
    for (int i = 0; i < n; ++i) out.push_back(Sample{"pump-" + std::to_string(i % 3), "temp", t0 + i, i * 0.5});
    return out;
  }
  static std::vector<Record> read_all(Stream& s) {
    std::vector<Record> out;
    auto r = s.wal().reader(1);
    for (;;) {
      auto rec = (*r)->next();
      EXPECT_TRUE(rec);
      if (!*rec) break;
      auto e = decode_entry((**rec).payload);
      EXPECT_TRUE(e) << e.error().message();
      if (e->kind == EntryKind::record) out.push_back(e->record);
    }
    return out;
  }
  static std::string frame(std::string source, uint64_t first, std::vector<Record> recs,
                           std::string stream = "telemetry") {
    auto f = encode_batch(Batch{std::move(source), std::move(stream), first, std::move(recs)});
    EXPECT_TRUE(f) << f.error().message();
    return *f;
  }

  std::string dir_;
  PosixFileSystem& fs_ = PosixFileSystem::instance();
};

TEST_F(BufferTest, EntriesRoundTripAndBadBytesAreCorruption) {
  Record ev = Event{"pump-1", "reported", 42, R"({"rpm":1200})"};
  auto e = decode_entry(encode_record_entry(ev));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->record, ev);
  auto o = decode_entry(encode_origin_entry({"edge-1", "telemetry", 99}));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->origin.last_seq, 99u);
  Record smp = Sample{"pump-1", "motor.rpm", -5, -0.0};
  std::string enc = encode_record_entry(smp);
  auto d = decode_entry(enc);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->kind, EntryKind::record);
  EXPECT_EQ(d->record, smp);
  EXPECT_TRUE(std::signbit(std::get<Sample>(d->record).value));
  for (size_t cut = 1; cut < enc.size(); ++cut) {
    EXPECT_EQ(decode_entry(enc.substr(0, cut)).error().code(), Errc::corruption) << cut;
  }
  EXPECT_EQ(decode_entry(enc + "x").error().code(), Errc::corruption);
  EXPECT_TRUE(encode_record_entry(Sample{"pump-1", "t", 1, std::nan("")}).empty());
  EXPECT_TRUE(encode_record_entry(Event{"pump 1", "x", 1, "{}"}).empty());
  EXPECT_EQ(decode_entry("").error().code(), Errc::corruption);
  EXPECT_EQ(decode_entry(std::string("\x07", 1)).error().code(), Errc::corruption);
  std::string cut = encode_origin_entry({"edge-1", "telemetry", 99});
  cut.pop_back();
  cut.pop_back();
  EXPECT_FALSE(decode_entry(cut));
  // A record carrying a batch's mark: both come back; cut or nested, it is corruption.
  std::string marked = encode_marked_entry(encode_record_entry(ev), {"iot-1", "events", 12});
  auto m = decode_entry(marked);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->kind, EntryKind::record);
  EXPECT_EQ(m->record, ev);
  EXPECT_TRUE(m->has_origin);
  EXPECT_EQ(m->origin.source, "iot-1");
  EXPECT_EQ(m->origin.stream, "events");
  EXPECT_EQ(m->origin.last_seq, 12u);
  EXPECT_FALSE(d->has_origin);
  for (size_t n = 1; n < marked.size(); ++n) {
    EXPECT_EQ(decode_entry(marked.substr(0, n)).error().code(), Errc::corruption) << n;
  }
  EXPECT_EQ(decode_entry(encode_marked_entry(marked, {"iot-1", "events", 13})).error().code(), Errc::corruption);
  EXPECT_EQ(decode_entry(encode_marked_entry(encode_origin_entry({"a", "b", 1}), {"a", "b", 2})).error().code(),
            Errc::corruption);
}

TEST_F(BufferTest, StreamRefusesInvalidRecordsWhole) {
  auto s = open_stream("s");
  auto recs = samples(3);
  recs.push_back(Sample{"bad twin!", "temp", 1, 1});
  auto res = s->append_records(recs);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code(), Errc::invalid_argument);
  EXPECT_EQ(s->stats().last_seq, 0u);
}

TEST_F(BufferTest, RejectPolicyRefusesWhenFullAndKeepsEverything) {
  auto s = open_stream("s", {.name = "telemetry", .policy = FullPolicy::reject, .max_bytes = 64 << 10});
  uint64_t ok_records = 0;
  Status last = ok();
  for (int i = 0; i < 1000 && last; ++i) {
    auto r = s->append_records(samples(50, i * 1000));
    if (r) ok_records += 50;
    else last = std::unexpected(r.error());
  }
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().code(), Errc::resource_exhausted);
  EXPECT_NE(last.error().message().find("policy reject"), std::string::npos);
  EXPECT_EQ(read_all(*s).size(), ok_records);
  EXPECT_GE(s->stats().rejected, 1u);
}

TEST_F(BufferTest, DropOldestPolicyKeepsAcceptingAndCountsDrops) {
  auto s = open_stream("s", {.name = "telemetry", .policy = FullPolicy::drop_oldest,
                             .max_bytes = 64 << 10, .segment_bytes = 16 << 10});
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(s->append_records(samples(50, i * 1000)));
  auto st = s->stats();
  EXPECT_GT(st.dropped, 0u);
  EXPECT_LE(st.bytes, 64u << 10);
  auto kept = read_all(*s);
  EXPECT_EQ(kept.size() + st.dropped, 200u * 50);
  // The newest record is always kept.
  EXPECT_EQ(std::get<Sample>(kept.back()).ts_ns, 199 * 1000 + 49);
}

TEST_F(BufferTest, ReceiverAppliesOnceAcrossDuplicatesOverlapsAndRestart) {
  auto s = open_stream("server");
  {
    auto r = Receiver::open(fs_, dir_ + "/received", {s.get()});
    ASSERT_TRUE(r) << r.error().message();
    auto a = (*r)->receive(frame("edge-1", 1, samples(10)));
    ASSERT_TRUE(a) << a.error().message();
    EXPECT_EQ(a->acked_seq, 10u);
    EXPECT_EQ(a->applied, 10u);
    auto dup = (*r)->receive(frame("edge-1", 1, samples(10)));
    ASSERT_TRUE(dup);
    EXPECT_EQ(dup->applied, 0u);
    EXPECT_EQ(dup->duplicates, 10u);
    EXPECT_EQ(dup->acked_seq, 10u);
    // 6..15: 6..10 seen, 11..15 new.
    auto recs = samples(15);
    auto over = (*r)->receive(frame("edge-1", 6, {recs.begin() + 5, recs.end()}));
    ASSERT_TRUE(over);
    EXPECT_EQ(over->applied, 5u);
    EXPECT_EQ(over->duplicates, 5u);
    // Another source has its own numbering.
    auto other = (*r)->receive(frame("edge-2", 1, samples(4)));
    ASSERT_TRUE(other);
    EXPECT_EQ(other->applied, 4u);
  }
  EXPECT_EQ(read_all(*s), [&] {
    auto a = samples(15);
    auto b = samples(4);
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }());
  // After a restart the marks come back: the same batches are still duplicates.
  auto r2 = Receiver::open(fs_, dir_ + "/received", {s.get()});
  ASSERT_TRUE(r2);
  EXPECT_EQ((*r2)->high_water("edge-1", "telemetry"), 15u);
  auto again = (*r2)->receive(frame("edge-1", 11, samples(5)));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->applied, 0u);
  EXPECT_EQ(read_all(*s).size(), 19u);
}

TEST_F(BufferTest, ReceiverRecoversMarksTheStateFileMissed) {
  auto s = open_stream("server");
  {
    auto r = Receiver::open(fs_, dir_ + "/received", {s.get()});
    ASSERT_TRUE(r);
    ASSERT_TRUE((*r)->receive(frame("edge-1", 1, samples(3))));
  }
  // A crash between the append and the state file: records + marker on disk, file stale.
  std::vector<std::string> entries;
  for (const auto& rec : samples(4)) entries.push_back(encode_record_entry(rec));
  entries.push_back(encode_origin_entry({"edge-1", "telemetry", 7}));
  std::vector<std::string_view> views(entries.begin(), entries.end());
  ASSERT_TRUE(s->append(views));
  auto r = Receiver::open(fs_, dir_ + "/received", {s.get()});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)->high_water("edge-1", "telemetry"), 7u);
  r->reset();
  // The same with the mark on the batch's last record, as the receiver writes it now.
  entries.clear();
  for (const auto& rec : samples(2)) entries.push_back(encode_record_entry(rec));
  entries.back() = encode_marked_entry(entries.back(), {"edge-1", "telemetry", 9});
  std::vector<std::string_view> more(entries.begin(), entries.end());
  ASSERT_TRUE(s->append(more));
  auto r2 = Receiver::open(fs_, dir_ + "/received", {s.get()});
  ASSERT_TRUE(r2);
  EXPECT_EQ((*r2)->high_water("edge-1", "telemetry"), 9u);
}

// An edge agent relays an IoT agent's batches: its stream's seqs are its records' only, so the
// next hop sees consecutive runs and no gap that would read as records dropped by the sender.
TEST_F(BufferTest, ARelayedStreamHasOneSeqPerRecord) {
  auto s = open_stream("edge");
  auto r = Receiver::open(fs_, dir_ + "/received", {s.get()});
  ASSERT_TRUE(r);
  ASSERT_TRUE((*r)->receive(frame("iot-1", 1, samples(3))));
  ASSERT_TRUE((*r)->receive(frame("iot-1", 4, samples(2))));
  EXPECT_EQ(s->wal().committed_seq(), 5u);
  EXPECT_EQ(read_all(*s).size(), 5u);
  // Forwarded on, the next hop's receiver sees 1..5 with no gap.
  auto up = open_stream("server");
  auto next = Receiver::open(fs_, dir_ + "/received-server", {up.get()});
  ASSERT_TRUE(next);
  auto all = read_all(*s);
  auto first = (*next)->receive(frame("edge-1", 1, {all.begin(), all.begin() + 3}));
  auto second = (*next)->receive(frame("edge-1", 4, {all.begin() + 3, all.end()}));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(second->gap, 0u);
  EXPECT_EQ((*next)->high_water("edge-1", "telemetry"), 5u);
}

TEST_F(BufferTest, ReceiverRefusesBadInputAndChangesNothing) {
  auto s = open_stream("server");
  auto r = Receiver::open(fs_, dir_ + "/received", {s.get()});
  ASSERT_TRUE(r);
  auto f = frame("edge-1", 1, samples(5));
  f[f.size() - 1] ^= 0x55;  // payload CRC
  EXPECT_EQ((*r)->receive(f).error().code(), Errc::invalid_argument);
  auto unknown = (*r)->receive(frame("edge-1", 1, samples(5), "nosuch"));
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message().find("nosuch"), std::string::npos);
  EXPECT_EQ((*r)->receive("garbage").error().code(), Errc::invalid_argument);
  EXPECT_EQ(s->stats().last_seq, 0u);
  EXPECT_EQ((*r)->high_water("edge-1", "telemetry"), 0u);
}

TEST_F(BufferTest, DamagedStateFileIsAnError) {
  auto s = open_stream("server");
  ASSERT_TRUE(fs_.write_file_atomic(dir_ + "/received", "iotwins-receiver 1\nhigh a b 3\ncrc 00000000\n"));
  auto r = Receiver::open(fs_, dir_ + "/received", {s.get()});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::corruption);
}

// Edge stream → consumer with a flaky link → receiver on the "server": everything arrives
// exactly once and in order, including after the consumer restarts without committing.
TEST_F(BufferTest, ForwardingOverAFlakyLinkIsExactlyOnce) {
  auto edge = open_stream("edge");
  auto server = open_stream("server", {.name = "telemetry", .consumer = "apply"});
  auto receiver = Receiver::open(fs_, dir_ + "/received", {server.get()});
  ASSERT_TRUE(receiver);
  std::atomic<int> calls{0};
  SendFrame send = [&](const std::string& f, const BatchHeader&) -> Result<uint64_t> {
    int n = calls++;
    if (n % 3 == 1) return make_error(Errc::unavailable, "link down");
    IOT_ASSIGN(auto res, (*receiver)->receive(f));
    // Every fourth acknowledgement is lost on the way back: the sender resends.
    if (n % 4 == 3) return make_error(Errc::timeout, "ack lost");
    return res.acked_seq;
  };
  const int total = 5000;
  {
    StreamConsumer fwd(*edge, {.name = "forward", .max_records = 300, .linger = 1ms,
                               .backoff_base = 1ms, .backoff_cap = 5ms},
                       forward_sink("edge-1", "telemetry", send));
    fwd.start();
    for (int i = 0; i < total; i += 100) ASSERT_TRUE(edge->append_records(samples(100, i)));
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while ((*receiver)->high_water("edge-1", "telemetry") < 2500 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    fwd.stop();
  }
  {
    StreamConsumer fwd(*edge, {.name = "forward", .max_records = 300, .linger = 1ms,
                               .backoff_base = 1ms, .backoff_cap = 5ms},
                       forward_sink("edge-1", "telemetry", send));
    fwd.start();
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (fwd.stats().offset < static_cast<uint64_t>(total) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    EXPECT_EQ(fwd.stats().offset, static_cast<uint64_t>(total));
    EXPECT_GT(fwd.stats().failures, 0u);
  }
  std::vector<Record> expected;
  for (int i = 0; i < total; i += 100) {
    auto part = samples(100, i);
    expected.insert(expected.end(), part.begin(), part.end());
  }
  EXPECT_EQ(read_all(*server), expected);
  // Forwarded segments may go now.
  EXPECT_EQ(edge->stats().backlog_records, 0u);
}

TEST_F(BufferTest, StoreSinkWritesSamplesAndPassesEvents) {
  auto stream = open_stream("server", {.name = "telemetry", .consumer = "apply"});
  auto store = tsdb::EmbeddedStore::open(fs_, {.dir = dir_ + "/tsdb", .sync_writes = false});
  ASSERT_TRUE(store) << store.error().message();
  std::vector<Event> events;
  std::mutex mu;
  StreamConsumer apply(*stream, {.name = "apply", .linger = 1ms},
                       store_sink(**store, [&](std::span<const Event> evs) -> Status {
                         std::lock_guard lock(mu);
                         events.insert(events.end(), evs.begin(), evs.end());
                         return ok();
                       }));
  auto recs = samples(30);
  recs.push_back(Event{"pump-1", "reported", 5, R"({"mode":"auto"})"});
  ASSERT_TRUE(stream->append_records(recs));
  apply.start();
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (apply.stats().offset < 31 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  apply.stop();
  EXPECT_EQ(apply.stats().offset, 31u);
  auto series = (*store)->list_series({});
  ASSERT_TRUE(series);
  ASSERT_EQ(series->size(), 3u);
  uint64_t count = 0;
  for (const auto& s : *series) count += s.count;
  EXPECT_EQ(count, 30u);
  std::lock_guard lock(mu);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "reported");
}

}  // namespace
}  // namespace iotwins::dataplane
