// Wal: a segmented, append-only, CRC-framed log on a FileSystem, shared by the store-and-forward
// buffer and the time-series store.
//
//   auto wal = Wal::open(fs, dir, {.fsync = FsyncPolicy::batch});
//   IOT_ASSIGN(uint64_t seq, (*wal)->append(bytes));  // returns once durable (policy)
//   IOT_ASSIGN(auto reader, (*wal)->reader(from_seq)); // records in order, across segments
//   (*wal)->commit_offset("forwarder", seq);           // persisted; frees acknowledged segments
//
// Sequence numbers start at 1, grow by one per record and never repeat, across restarts and
// truncation. Group commit: concurrent appends are written with one write and one fsync.
// A record is acknowledged (append returns its seq) only once its batch is durable under the
// fsync policy; recovery on open keeps every acknowledged record, exactly once, in order, and
// cuts a torn or corrupt tail of the last segment.
//
// Thread-safety: every method may be called from any thread concurrently, except that the Wal
// must outlive its Readers, and one Reader is used by one thread at a time. After a failed
// fsync or an unrecoverable write error the Wal refuses further appends (a retried fsync can
// report success for pages the kernel already dropped); reopen it to recover.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/fs.h"
#include "core/result.h"
#include "wal/consumers.h"

namespace iotwins::wal {

enum class FsyncPolicy {
  always,  // every batch is fsynced before its appends return; never waits for more appends
  batch,   // as always, but a batch waits up to batch_window for appends already under way
  never,   // appends return once written to the OS; a machine crash may lose them
  // Appends return once written to the OS (they survive kill -9 of the process: the page
  // cache belongs to the kernel); a background thread fdatasyncs at most every sync_interval
  // while unsynced records exist. A machine crash may lose up to about one interval.
  periodic,
};

struct WalOptions {
  FsyncPolicy fsync = FsyncPolicy::batch;
  // Longest a batch waits for concurrent appenders before its write+fsync (policy batch).
  std::chrono::microseconds batch_window{2000};
  // Policy periodic: the background fdatasync runs at most this often.
  std::chrono::microseconds sync_interval{2000};
  // A segment is closed and a new one started once it reaches this size.
  uint64_t max_segment_bytes = 64ull << 20;
  uint32_t max_record_bytes = 4u << 20;
  // Appends fail with resource_exhausted while the retained log would exceed this.
  uint64_t max_total_bytes = 1ull << 30;
  // Upper bound of one group-commit write.
  size_t max_batch_bytes = 8u << 20;
  // Append timestamps and the age in stats; SystemClock when null.
  const Clock* clock = nullptr;
};

struct WalRecord {
  uint64_t seq = 0;
  int64_t ts_ns = 0;  // when it was appended
  std::string payload;
};

struct WalStats {
  uint64_t first_seq = 0;       // oldest record still on disk (== committed_seq + 1 if none)
  uint64_t committed_seq = 0;   // newest acknowledged record, 0 if none yet
  // Newest record known to be fdatasynced. Equals committed_seq under always/batch; lags it by
  // up to sync_interval under periodic; under never it moves only when a segment is sealed.
  uint64_t durable_seq = 0;
  uint64_t records = 0;         // records on disk
  uint64_t bytes = 0;           // bytes of all segments
  uint64_t segments = 0;
  uint64_t min_consumer_offset = 0;  // highest seq every consumer has acknowledged
  // Age of the oldest record some consumer has not acknowledged (all records count when there
  // are no consumers); 0 when there is none.
  int64_t oldest_unacked_age_ns = 0;
  bool failed = false;
};

struct DropReport {
  uint64_t records_dropped = 0;  // records deleted that some consumer had not acknowledged
  uint64_t records_deleted = 0;  // every record deleted
  uint64_t bytes_freed = 0;
  uint64_t segments_deleted = 0;
  uint64_t first_seq = 0;        // oldest record kept
};

class Reader;

class Wal {
 public:
  static Result<std::unique_ptr<Wal>> open(FileSystem& fs, std::string dir,
                                           WalOptions options = {});
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends one record; returns its sequence number once acknowledged.
  Result<uint64_t> append(std::string_view record);
  // Appends records as consecutive sequence numbers in one batch; returns the first.
  Result<uint64_t> append_many(std::span<const std::string_view> records);

  // A reader positioned at `from_seq` (at the oldest record if that was truncated away).
  Result<std::unique_ptr<Reader>> reader(uint64_t from_seq);

  // Newest acknowledged sequence number (0 if none).
  uint64_t committed_seq() const;
  // Blocks until committed_seq() >= seq or the timeout passes; returns committed_seq().
  uint64_t wait_for(uint64_t seq, std::chrono::milliseconds timeout) const;

  // Records that `consumer` has processed everything up to `seq` (creating the consumer),
  // persists it, then deletes the segments every consumer has acknowledged. seq must not move
  // backwards or beyond committed_seq().
  Status commit_offset(std::string_view consumer, uint64_t seq);
  // The consumer's offset; not_found if it never committed one.
  Result<uint64_t> consumer_offset(std::string_view consumer) const;
  Status remove_consumer(std::string_view consumer);

  // Deletes the oldest segments, regardless of consumers, until the log holds at most
  // max_bytes (or only the active segment is left, which is first closed if it alone is too
  // big). Consumers behind the cut move to the last deleted record; the report counts what
  // they lost. For a caller that prefers dropping old data to rejecting new data.
  Result<DropReport> drop_oldest_until(uint64_t max_bytes);

  WalStats stats();

  // Picks up offsets that consumers in other processes persisted with
  // commit_external_offset() (wal/tail.h) and applies them like commit_offset(), deleting the
  // segments every consumer has acknowledged. Offsets behind the known one are ignored (a
  // drop_oldest_until may have moved the consumer forward). Returns how many moved. A damaged
  // or misnamed offset file is reported (corruption / invalid_argument, naming it) after the
  // valid ones are applied. Meant to be called periodically by the process that owns the log.
  Result<size_t> load_external_offsets();

  const std::string& dir() const { return dir_; }

 private:
  friend class Reader;
  struct Segment {
    uint64_t first_seq;
    std::string path;
    uint64_t bytes;
  };
  // Frames of the batch being written, reused by whoever leads the next batch (leader only).
  std::string leader_frames_;
  static constexpr size_t kKeepLeaderBuffer = 64u << 20;
  struct Writer;

  Wal(FileSystem& fs, std::string dir, WalOptions options);

  // wal_open.cc
  Status recover();
  Status recover_last_segment();
  Result<std::unique_ptr<File>> create_segment(uint64_t first_seq);
  // wal_append.cc
  void lead_batch(std::unique_lock<std::mutex>& lock);
  // Leader only, without mu_. `fatal` is set when the log can no longer be trusted.
  Status write_batch(const std::string& frames, uint64_t first_seq, bool& fatal);
  Status rotate(uint64_t first_seq, bool& fatal);
  void acquire_leadership(std::unique_lock<std::mutex>& lock);
  void release_leadership();
  Error failed_error() const;
  // wal_sync.cc (policy periodic)
  void start_sync_thread();
  void stop_sync_thread();
  void sync_loop();
  // wal_external.cc
  Result<size_t> apply_external_offsets(const ConsumerOffsets& found);
  // wal_retention.cc
  Status persist_consumers(const ConsumerOffsets& offsets);
  Status delete_acknowledged();
  Status delete_front_segments(size_t count);
  std::vector<Segment> segments_snapshot() const;

  FileSystem& fs_;
  const std::string dir_;
  const WalOptions opts_;
  const Clock& clock_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // leadership handoff, acknowledgements, commits
  std::condition_variable batch_cv_;    // wakes a leader waiting out its batch window
  std::deque<Writer*> queue_;
  bool leader_active_ = false;
  int appenders_ = 0;  // threads inside append_many, for the batch window heuristic
  std::optional<Error> failed_;
  uint64_t next_seq_ = 1;
  uint64_t committed_seq_ = 0;
  std::deque<Segment> segments_;  // oldest first; back() is the active one
  uint64_t total_bytes_ = 0;
  ConsumerOffsets consumers_;
  std::unique_ptr<File> active_;  // only the leader touches it
  uint64_t active_bytes_ = 0;     // leader only
  size_t last_batch_writers_ = 1;  // leader only: concurrency seen by the previous batch
  // Bumped when a failed write is rolled back, so readers drop bytes they may have buffered
  // from it before its sequence numbers are reused.
  std::atomic<uint64_t> rollbacks_{0};

  // Policy periodic: the background syncer. It syncs its own handle of the active segment, so
  // it never touches active_ (which belongs to the leader).
  uint64_t durable_seq_ = 0;  // under mu_
  std::condition_variable sync_cv_;
  bool sync_stop_ = false;     // under mu_
  bool sync_waiting_ = false;  // under mu_: the syncer sleeps until records arrive
  std::thread sync_thread_;

  // Serialises consumer file writes and segment deletion.
  std::mutex retention_mu_;
  // Under retention_mu_: finds the oldest unacknowledged record for stats, and caches it.
  std::unique_ptr<Reader> age_reader_;
  uint64_t age_cache_seq_ = 0;
  int64_t age_cache_ts_ = 0;
};

}  // namespace iotwins::wal
