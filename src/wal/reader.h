// Reader: reads acknowledged WAL records in sequence order, across segments.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/fs.h"
#include "core/result.h"
#include "wal/format.h"
#include "wal/wal.h"

namespace iotwins::wal {

// Not thread-safe: one thread at a time. Holds the segment it reads open, so truncation of that
// segment under it does not disturb it; the Wal must outlive it.
class Reader {
 public:
  Reader(Wal& wal, uint64_t next_seq) : wal_(wal), next_seq_(next_seq) {}

  // The next acknowledged record, or nullopt when the reader has caught up with
  // committed_seq(). not_found if the record was deleted by truncation meanwhile;
  // corruption if the segment does not hold what the log says it must.
  Result<std::optional<WalRecord>> next();

  // Repositions at seq (at the oldest record if seq was truncated away).
  void seek(uint64_t seq);

  uint64_t next_seq() const { return next_seq_; }

 private:
  Status open_segment_for(uint64_t seq);
  void reset();

  Wal& wal_;
  uint64_t next_seq_;
  uint64_t segment_first_ = 0;
  uint64_t rollbacks_seen_ = 0;
  std::unique_ptr<File> file_;
  std::unique_ptr<FrameScanner> scanner_;
};

}  // namespace iotwins::wal
