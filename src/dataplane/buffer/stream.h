// Stream: one named, durable, ordered sequence of data-plane records on a node — the unit of
// store-and-forward (ARCHITECTURE.md §4: batches carry source node, stream, first seq, count).
//
// A stream is a wal::Wal holding one record per WAL record, so a record's stream sequence
// number IS its WAL seq: it never repeats across restarts, truncation or dropped data, which is
// what lets the parent deduplicate by (source, stream, seq). Besides data records the log holds
// origin markers (see Receiver) that are never forwarded.
//
// Limits: `max_bytes` of retained log and `max_age` of the oldest unforwarded record. When an
// append would exceed max_bytes the policy decides: `reject` refuses the append with
// resource_exhausted (the caller does not acknowledge upstream, so the sender keeps the data),
// `drop_oldest` deletes the oldest segments first and counts the records lost. Records older
// than max_age are dropped (counted) under either policy; 0 disables the age limit.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/fs.h"
#include "core/result.h"
#include "dataplane/codec/records.h"
#include "dataplane/full_policy.h"
#include "wal/wal.h"

namespace iotwins::dataplane {


struct StreamOptions {
  std::string name;  // [A-Za-z0-9._-], 1..64
  // The WAL consumer whose offset is "done" for the stats' backlog ("forward" on agents,
  // "apply" on the server).
  std::string consumer = "forward";
  FullPolicy policy = FullPolicy::reject;
  uint64_t max_bytes = 1ull << 30;
  std::chrono::nanoseconds max_age{0};
  wal::FsyncPolicy fsync = wal::FsyncPolicy::batch;
  uint64_t segment_bytes = 64ull << 20;
};

// What a WAL record of a stream holds. Records are written as `sample` or `event` (compact,
// fixed layout); `record` (a one-record batch payload) is still read. A Receiver writes a
// batch's last record as `marked`: the record with the batch's OriginMark, so the mark takes no
// seq of its own (a relaying agent's stream stays gap-free for the next hop); `origin`, a mark
// alone, is still read.
enum class EntryKind : uint8_t { record = 0, origin = 1, sample = 2, event = 3, marked = 4 };

// "Batch (source, stream) has been applied up to seq" — written by a Receiver in the same
// append as the batch's records.
struct OriginMark {
  std::string source;
  std::string stream;
  uint64_t last_seq = 0;
};

std::string encode_record_entry(const Record& record);
std::string encode_origin_entry(const OriginMark& mark);
// `record_entry` (from encode_record_entry) carrying `mark`.
std::string encode_marked_entry(std::string_view record_entry, const OriginMark& mark);
struct Entry {
  EntryKind kind = EntryKind::record;  // record (whatever it was written as) or origin
  Record record;
  OriginMark origin;
  bool has_origin = false;  // origin is set: an `origin` entry, or a record written `marked`
};
Result<Entry> decode_entry(std::string_view bytes);

struct StreamStats {
  std::string name;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;       // newest durable record, 0 if none
  uint64_t done_seq = 0;  // highest seq the stream's consumer acknowledged
  uint64_t backlog_records = 0;
  uint64_t bytes = 0;
  uint64_t max_bytes = 0;
  int64_t oldest_age_ns = 0;
  uint64_t appended = 0;  // since start
  uint64_t rejected = 0;
  uint64_t dropped = 0;
  bool failed = false;
};

class Stream {
 public:
  static Result<std::unique_ptr<Stream>> open(FileSystem& fs, const std::string& dir,
                                              StreamOptions options, const Clock& clock);

  // Appends entries (already encoded) as consecutive seqs, durable when it returns; returns
  // the last seq. All or nothing.
  Result<uint64_t> append(std::span<const std::string_view> entries);
  Result<uint64_t> append_records(std::span<const Record> records);

  wal::Wal& wal() { return *wal_; }
  const StreamOptions& options() const { return options_; }
  StreamStats stats();
  // Applies max_age now (also done on every append); returns records dropped.
  Result<uint64_t> enforce_age();

 private:
  Stream(StreamOptions options, const Clock& clock) : options_(std::move(options)), clock_(clock) {}
  Status make_room(uint64_t bytes);

  StreamOptions options_;
  const Clock& clock_;
  std::unique_ptr<wal::Wal> wal_;
  std::mutex append_mu_;  // make_room + append are one step
  std::atomic<uint64_t> appended_{0}, rejected_{0}, dropped_{0};
};

}  // namespace iotwins::dataplane
