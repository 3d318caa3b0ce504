// EmbeddedStore: the built-in time-series engine behind TimeSeriesStore.
//
// Write path: validate the whole batch -> append it to the shared write-ahead log (wal/; one
// record, or several consecutive ones for a large batch, replayed all or nothing; new series'
// keys travel inside) -> add samples to the per-series, per-window head. The batch's lsn is the
// WAL sequence number of its first record.
// Sealing: once the newest timestamp written is `seal_grace` past the end of a window, every
// head window up to it is merged with what is already sealed for it and written as one block
// file per window (block.h); then the series index and the manifest are replaced atomically
// and the WAL consumer offset "tsdb" is moved past every record holding only sealed samples
// (the WAL then deletes the segments behind it). A window that receives samples
// after it was sealed is rewritten for those series at the next seal (a block of a higher
// round supersedes lower rounds, per series).
// Crash safety: a block is listed in the manifest only after it is durable; on open, files
// not in the manifest are removed and the log is replayed, skipping samples the manifest
// says are sealed (lsn <= sealed_lsn and window <= sealed_window).
// Log record format and the all-or-nothing replay of split batches: engine_log.cc.
// Rollups (rollup.h): when a window is sealed, its final samples are summarised per series
// into buckets of each configured resolution (count, sum, min, max), written as one rollup
// block per window and resolution, next to the raw block.
// Retention: per series, the first rule whose globs match twin and property, with one age for
// raw samples and one per rollup resolution; data older than now - age is invisible to
// queries (raw writes older than the raw age are refused), and blocks are deleted (or
// rewritten without the expired series) at each seal and by enforce_retention().
// When aggregate() reads rollups instead of raw samples: see engine_aggregate.cc and README.
// Timestamps must lie within +-2^62 ns of the epoch (years 1823..2116).
// Threading: any number of threads may call any method; writes (and the seals they trigger)
// are serialised by one lock, queries share it only while taking a snapshot of what to read.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/fs.h"
#include "tsdb/block.h"
#include "tsdb/head.h"
#include "tsdb/store.h"
#include "wal/wal.h"

namespace iotwins::tsdb {

struct RetentionRule {
  std::string twin = "*";      // glob
  std::string property = "*";  // glob
  int64_t raw_ns = 0;          // 0 = keep forever
  // Age kept per rollup resolution, in StoreOptions::rollup_ns order; missing or 0 = forever.
  std::vector<int64_t> rollup_ns = {};
};

// Bounds of StoreOptions::log_record_bytes: a series key (<= ~17 KiB) and a sample always fit
// in one record, and a record fits in one WAL group-commit write.
inline constexpr uint32_t kMinLogRecordBytes = 64u << 10;
inline constexpr uint32_t kMaxLogRecordBytes = 32u << 20;

struct StoreOptions {
  std::string dir;
  int64_t window_ns = 2 * 3600 * 1'000'000'000LL;
  int64_t seal_grace_ns = 10 * 60 * 1'000'000'000LL;
  // fdatasync the log before write() returns: survives power loss. Without it an
  // acknowledged write survives a crash of the process (kill -9) but not of the machine.
  // Maps to the WAL's FsyncPolicy always (true) or never (false).
  bool sync_writes = true;
  // Largest WAL record; a batch whose record would be larger is split over several records
  // (at least 64 KiB, so that any series key and a sample fit in one).
  uint32_t log_record_bytes = 4u << 20;
  // Log bytes kept until sealing releases them; a write that would exceed it fails with
  // resource_exhausted and changes nothing. 0: no limit but the disk.
  uint64_t max_log_bytes = 0;
  std::vector<RetentionRule> retention;  // first match wins; none matching = keep forever
  // Rollup bucket widths, strictly increasing, each dividing window_ns with at most 2^16
  // buckets per window; empty: no rollups.
  std::vector<int64_t> rollup_ns = {60 * 1'000'000'000LL, 3600 * 1'000'000'000LL};
  const Clock* clock = nullptr;          // default: the system clock
};

struct StoreStats {
  size_t series = 0;
  size_t blocks = 0;
  uint64_t block_bytes = 0;   // bytes of sealed raw block files
  size_t rollup_blocks = 0;
  uint64_t rollup_bytes = 0;  // bytes of rollup block files
  uint64_t head_samples = 0;  // samples in the head, not yet sealed
};

class EmbeddedStore final : public TimeSeriesStore {
 public:
  static Result<std::unique_ptr<EmbeddedStore>> open(FileSystem& fs, StoreOptions options);

  Status write(std::span<const SeriesWrite> batch) override;
  Status read(const RangeQuery& query, const RangeSink& sink) override;
  Status aggregate(const AggregateQuery& query, const AggregateSink& sink) override;
  Result<std::optional<Sample>> last(const SeriesKey& key) override;
  Result<std::vector<SeriesInfo>> list_series(const SeriesSelector& selector) override;

  // Seals every head window now, complete or not (for shutdown, tests and benchmarks).
  Status flush();
  Status enforce_retention();
  StoreStats stats() const;

 private:
  using BlockMap = std::map<int64_t, std::vector<std::shared_ptr<BlockReader>>>;  // by window, round order
  struct SeriesState {
    SeriesKey key;
    int64_t raw_ns = 0;
    std::vector<int64_t> rollup_ns;  // per level; 0 = forever
    std::map<int64_t, WindowHead> windows;  // by window start
  };
  // What a query reads of one window of one series.
  struct WindowSource {
    int64_t window = 0;
    std::shared_ptr<BlockReader> block;  // latest round holding the series, or null
    std::vector<BlockEntry> entries;
    bool has_head = false;
    std::vector<HeadChunk> chunks;
    std::vector<Sample> tail, late;
  };
  // One window of one series read from a rollup block instead of raw samples.
  struct RollupSource {
    int64_t window = 0;
    std::shared_ptr<BlockReader> block;
  };
  class Cursor;
  struct AggregatePlan;

  EmbeddedStore(FileSystem& fs, StoreOptions options);
  Status load();
  // engine_log.cc
  Status open_log();
  // Applies one record's body (after its flags byte); its samples get `lsn`, the batch's.
  Status replay(uint64_t lsn, uint64_t seq, std::string_view body);
  // Appends a validated batch (ids per entry; new_keys get ids series_.size() + k); returns
  // its lsn.
  Result<uint64_t> log_batch(std::span<const SeriesWrite> batch, std::span<const SeriesId> ids,
                             std::span<const SeriesKey> new_keys);
  Status release_log(uint64_t keep_from);
  Result<SeriesId> register_series(SeriesKey key);
  const RetentionRule* retention_rule(const SeriesKey& key) const;
  Status seal_through(int64_t last_window);
  Status write_manifest();
  Status write_series_index();
  Status retention_locked();
  Status expire_blocks(BlockMap& map, int level, bool& changed, std::vector<std::string>& doomed);
  int64_t window_of(int64_t ts) const;
  int64_t cutoff(const SeriesState& s) const;
  int64_t rollup_cutoff(const SeriesState& s, size_t level) const;
  std::string block_name(int64_t window, uint32_t round, int64_t resolution) const;
  int rollup_level_for(const AggregateQuery& q) const;
  std::vector<RollupSource> rollup_snapshot(SeriesId id, size_t level, int64_t from, int64_t to,
                                            std::vector<WindowSource>& raw) const;
  Result<std::vector<Sample>> read_sealed(SeriesId id, int64_t window) const;
  std::vector<WindowSource> snapshot(SeriesId id, int64_t from, int64_t to) const;
  std::vector<SeriesId> select(const SeriesSelector& selector) const;

  FileSystem& fs_;
  StoreOptions opt_;
  const Clock& clock_;
  mutable std::shared_mutex mu_;
  std::vector<SeriesState> series_;
  std::unordered_map<SeriesKey, SeriesId, SeriesKeyHash> ids_;
  BlockMap blocks_;                  // raw
  std::vector<BlockMap> rollups_;    // per StoreOptions::rollup_ns level
  std::unique_ptr<wal::Wal> log_;
  uint64_t log_offset_ = 0;  // the "tsdb" consumer offset: every record up to it is sealed
  // Record buffers kept between writes: fresh multi-megabyte buffers for every batch cost
  // page faults (and push malloc past its trim threshold) — see engine_log.cc.
  std::vector<std::string> log_records_;
  uint64_t sealed_lsn_ = 0;
  int64_t sealed_window_ = std::numeric_limits<int64_t>::min();
  uint32_t next_round_ = 0;
  int64_t max_ts_ = std::numeric_limits<int64_t>::min();
  size_t series_in_index_ = 0;  // series persisted in series.idx
};

}  // namespace iotwins::tsdb
