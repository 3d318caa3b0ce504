// EmbeddedStore and the shared write-ahead log (wal/): the record format, appending a batch,
// replaying the log on open and releasing what sealing made redundant.
//
// A batch is one WAL record or, when larger than StoreOptions::log_record_bytes, several with
// consecutive sequence numbers (the engine's write lock keeps them consecutive). Record:
//   u8 flags (kFirstPart | kLastPart) | varint new series, each (varint id, key bytes) |
//   varint groups, each (varint id, varint n, n x (u64 ts, u64 value bits))
// A new series' key travels in the record holding its first samples; one series' samples may
// go on in the next record.
// All or nothing: replay collects a batch's records and applies them only when it reads the
// one flagged last. A batch the log does not complete (a crash, or a failed append between its
// records; the WAL cuts a torn tail itself) is dropped: what follows it in the log is either
// the end or the first record of a later batch. Every sample of a batch carries the batch's
// lsn, the sequence number of its first record, so the consumer offset (one below the lowest
// lsn a head window still needs) never falls inside a batch.
#include <algorithm>
#include <bit>
#include <limits>

#include "core/log.h"
#include "tsdb/encoding.h"
#include "tsdb/engine.h"
#include "wal/format.h"
#include "wal/reader.h"

namespace iotwins::tsdb {
namespace {

constexpr std::string_view kConsumer = "tsdb";
constexpr uint8_t kFirstPart = 1;
constexpr uint8_t kLastPart = 2;
constexpr size_t kMaxVarint = 10;
constexpr size_t kPartOverhead = 1 + 2 * kMaxVarint;  // flags, key count, group count
constexpr size_t kGroupOverhead = 2 * kMaxVarint;     // series id, sample count
// Records handed to one append_many (one write and, with sync_writes, one fsync), at most.
constexpr size_t kRecordsPerAppend = 16;
// Record buffers up to this much capacity are kept for the next batch (log_records_). Reusing
// them matters: with fresh ones every batch, the records plus the WAL's frame buffer freed
// together exceed glibc's trim threshold, so the heap shrinks and every batch page-faults its
// megabytes back in (measured with perf: ~2x the record-building time).
constexpr size_t kKeepRecordBytes = 64u << 20;

auto& logger() {
  static auto& log = iotwins::log::get("tsdb");
  return log;
}

// "<20 digits>.log": a segment of the head log this engine used before the shared WAL.
bool is_head_log_segment(const std::string& name) {
  return name.size() == 24 && name.ends_with(".log") &&
         std::all_of(name.begin(), name.begin() + 20, [](char c) { return c >= '0' && c <= '9'; });
}

// What one record of a batch carries: new keys [keys_from, keys_to) and runs of samples.
struct Run {
  size_t entry, from, n;
};
struct Part {
  size_t keys_from = 0, keys_to = 0;
  std::vector<Run> runs;
  size_t bytes = kPartOverhead;  // upper bound of the encoded size
};

}  // namespace

Status EmbeddedStore::open_log() {
  std::string dir = join_path(opt_.dir, "wal");
  IOT_TRY(fs_.create_dirs(dir));
  IOT_ASSIGN(auto names, fs_.list(dir));
  for (const auto& name : names) {
    if (is_head_log_segment(name)) {
      return make_error(Errc::unsupported,
                        join_path(dir, name) + " is a head-log segment of the pre-release tsdb format, "
                                               "which this version does not replay; remove the store or that file");
    }
  }
  wal::WalOptions wo;
  // `batch` would add its window of latency to every write of our single writer.
  wo.fsync = opt_.sync_writes ? wal::FsyncPolicy::always : wal::FsyncPolicy::never;
  wo.max_record_bytes = opt_.log_record_bytes;
  wo.max_batch_bytes = kRecordsPerAppend * (wal::kFrameHeaderSize + opt_.log_record_bytes);
  wo.max_total_bytes = opt_.max_log_bytes ? opt_.max_log_bytes : std::numeric_limits<uint64_t>::max();
  if (opt_.max_log_bytes) {
    // Sealing frees whole segments only: small ones so that a seal frees most of the limit.
    wo.max_segment_bytes = std::clamp<uint64_t>(opt_.max_log_bytes / 8, 1024, wo.max_segment_bytes);
  }
  wo.clock = opt_.clock;
  IOT_ASSIGN(log_, wal::Wal::open(fs_, dir, wo));
  auto offset = log_->consumer_offset(kConsumer);
  if (offset) {
    log_offset_ = *offset;
  } else if (offset.error().code() != Errc::not_found) {
    return std::unexpected(offset.error());
  }
  IOT_ASSIGN(auto reader, log_->reader(log_offset_ + 1));
  std::vector<wal::WalRecord> batch;  // records of the batch being read
  auto drop = [&](std::string_view why) {
    logger().warn("tsdb: dropping log records {}..{}, a batch {}", batch.front().seq, batch.back().seq, why);
    batch.clear();
  };
  while (true) {
    IOT_ASSIGN(auto record, reader->next());
    if (!record) break;
    auto flags = record->payload.empty() ? uint8_t{0xFF} : static_cast<uint8_t>(record->payload[0]);
    if (flags > (kFirstPart | kLastPart)) {
      return make_error(Errc::corruption, "log record " + std::to_string(record->seq) + " has no valid flags byte");
    }
    if (flags & kFirstPart) {
      if (!batch.empty()) drop("whose last record never made it to the log");
    } else if (batch.empty()) {
      logger().warn("tsdb: skipping log record {}, the rest of a batch whose start is not in the log", record->seq);
      continue;
    }
    batch.push_back(std::move(*record));
    if (flags & kLastPart) {
      for (const auto& part : batch) {
        IOT_TRY(replay(batch.front().seq, part.seq, std::string_view(part.payload).substr(1)));
      }
      batch.clear();
    }
  }
  if (!batch.empty()) drop("cut off by the end of the log");
  return ok();
}

Status EmbeddedStore::replay(uint64_t lsn, uint64_t seq, std::string_view body) {
  auto bad = [&](const std::string& what) {
    return make_error(Errc::corruption, "log record " + std::to_string(seq) + ": " + what);
  };
  ByteReader r(body);
  uint64_t n_new = 0, n_groups = 0;
  if (!r.get_varint(n_new)) return bad("truncated");
  for (uint64_t i = 0; i < n_new; ++i) {
    uint64_t id = 0;
    std::string bytes;
    if (!r.get_varint(id) || !r.get_string(bytes, 1 << 20)) return bad("truncated series");
    IOT_ASSIGN(SeriesKey key, decode_key(bytes));
    if (id < series_.size()) {
      if (series_[id].key != key) return bad("series " + std::to_string(id) + " differs from the index");
    } else if (id == series_.size()) {
      IOT_TRY(register_series(std::move(key)));
    } else {
      return bad("series id " + std::to_string(id) + " skips ahead");
    }
  }
  if (!r.get_varint(n_groups)) return bad("truncated");
  for (uint64_t g = 0; g < n_groups; ++g) {
    uint64_t id = 0, n = 0;
    if (!r.get_varint(id) || !r.get_varint(n) || id >= series_.size()) return bad("bad group");
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t ts = 0, v = 0;
      if (!r.get_u64(ts) || !r.get_u64(v)) return bad("truncated samples");
      Sample s{static_cast<int64_t>(ts), std::bit_cast<double>(v)};
      int64_t w = window_of(s.ts);
      if (lsn <= sealed_lsn_ && w <= sealed_window_) continue;  // already in a block
      series_[id].windows[w].append(s, lsn);
      max_ts_ = std::max(max_ts_, s.ts);
    }
  }
  return ok();
}

Result<uint64_t> EmbeddedStore::log_batch(std::span<const SeriesWrite> batch, std::span<const SeriesId> ids,
                                          std::span<const SeriesKey> new_keys) {
  const size_t limit = opt_.log_record_bytes;
  const SeriesId first_new = static_cast<SeriesId>(series_.size());
  std::vector<std::string> keys;
  keys.reserve(new_keys.size());
  for (const auto& k : new_keys) keys.push_back(encode_key(k));
  // Plan the records: new ids are numbered in order of first use, so keys go out in order.
  std::vector<Part> parts(1);
  size_t next_key = 0;
  auto start_part = [&] { parts.push_back(Part{next_key, next_key, {}, kPartOverhead}); };
  for (size_t i = 0; i < batch.size(); ++i) {
    if (ids[i] >= first_new && ids[i] - first_new == next_key) {
      size_t bytes = 2 * kMaxVarint + keys[next_key].size();
      // Room for the key and at least one sample; kMinLogRecordBytes makes that fit an empty record.
      if (parts.back().bytes > kPartOverhead && parts.back().bytes + bytes + kGroupOverhead + 16 > limit) start_part();
      parts.back().keys_to = ++next_key;
      parts.back().bytes += bytes;
    }
    size_t n = batch[i].samples.size();
    for (size_t from = 0; from < n;) {
      Part& p = parts.back();
      size_t room = p.bytes + kGroupOverhead + 16 <= limit ? (limit - p.bytes - kGroupOverhead) / 16 : 0;
      if (room == 0) {
        start_part();
        continue;
      }
      size_t take = std::min(room, n - from);
      p.runs.push_back({i, from, take});
      p.bytes += kGroupOverhead + 16 * take;
      from += take;
    }
  }
  auto& records = log_records_;
  records.resize(parts.size());
  for (size_t k = 0; k < parts.size(); ++k) {
    const Part& p = parts[k];
    std::string& out = records[k];
    out.clear();
    out.reserve(p.bytes);  // sized once: records are megabytes, regrowth would copy them
    out.push_back(static_cast<char>((k == 0 ? kFirstPart : 0) | (k + 1 == parts.size() ? kLastPart : 0)));
    put_varint(out, p.keys_to - p.keys_from);
    for (size_t key = p.keys_from; key < p.keys_to; ++key) {
      put_varint(out, first_new + key);
      put_string(out, keys[key]);
    }
    put_varint(out, p.runs.size());
    for (const Run& run : p.runs) {
      put_varint(out, ids[run.entry]);
      put_varint(out, run.n);
      size_t at = out.size();
      const auto samples = batch[run.entry].samples.subspan(run.from, run.n);
      // No zero-fill: every byte of the new range is written here.
      out.resize_and_overwrite(at + 16 * samples.size(), [&](char* base, size_t size) {
        char* q = base + at;
        for (const auto& s : samples) {
          auto ts = static_cast<uint64_t>(s.ts);
          auto v = std::bit_cast<uint64_t>(s.value);
          for (int b = 0; b < 8; ++b) q[b] = static_cast<char>(ts >> (8 * b));
          for (int b = 0; b < 8; ++b) q[8 + b] = static_cast<char>(v >> (8 * b));
          q += 16;
        }
        return size;
      });
    }
  }
  std::vector<std::string_view> views(records.begin(), records.end());
  uint64_t lsn = 0;
  Status status = ok();
  for (size_t at = 0; at < views.size() && status;) {
    size_t end = std::min(views.size(), at + kRecordsPerAppend);
    auto first = log_->append_many(std::span(views).subspan(at, end - at));
    if (!first) status = std::unexpected(std::move(first.error()).context("tsdb " + opt_.dir + ": log the batch"));
    if (first && at == 0) lsn = *first;
    at = end;
  }
  size_t kept = 0;
  for (const auto& r : records) kept += r.capacity();
  if (kept > kKeepRecordBytes) records = {};  // a rare huge batch: do not hold its memory
  if (!status) return std::unexpected(status.error());
  return lsn;
}

Status EmbeddedStore::release_log(uint64_t keep_from) {
  if (keep_from > log_offset_ + 1) {
    IOT_TRY(log_->commit_offset(kConsumer, keep_from - 1));
    log_offset_ = keep_from - 1;
  }
  // The WAL deletes whole sealed segments only. When every record is sealed (flush, or a seal
  // that emptied the head) the active segment holds nothing we need either: have it closed
  // and deleted, so a flushed store keeps no log on disk. Safe because we are its only
  // writer and consumer, under the write lock: nothing unsealed can be behind the cut.
  if (log_offset_ == log_->committed_seq()) IOT_TRY(log_->drop_oldest_until(0));
  return ok();
}

}  // namespace iotwins::tsdb
