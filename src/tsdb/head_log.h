// HeadLog: tsdb's write-ahead log for the in-memory head. Records are framed as
// [u32 length][u32 crc32c][payload] in segment files "<first lsn, 20 digits>.log"; a record's
// log sequence number (lsn) is its position counted from 1 over all segments.
// On open a torn or corrupt tail of the last segment (a crash mid-append) is cut off; damage
// anywhere else is reported as corruption. Not thread-safe: the engine serialises calls.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/fs.h"
#include "core/result.h"

namespace iotwins::tsdb {

class HeadLog {
 public:
  // Opens (creating) the log in dir and calls replay for every intact record in lsn order.
  static Result<std::unique_ptr<HeadLog>> open(
      FileSystem& fs, std::string dir,
      const std::function<Status(uint64_t lsn, std::string_view payload)>& replay);

  // Appends a record; with sync the record is on stable storage when this returns.
  Result<uint64_t> append(std::string_view payload, bool sync);
  // Starts a new segment, so that older ones can be dropped by truncate_before.
  Status roll();
  // Removes whole segments whose records all have lsn < keep_from (never the active one).
  Status truncate_before(uint64_t keep_from);

  uint64_t last_lsn() const { return next_lsn_ - 1; }
  size_t segment_count() const { return segments_.size(); }

 private:
  struct Segment {
    uint64_t first_lsn;
    std::string path;
  };
  HeadLog(FileSystem& fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}
  Status open_active();
  std::string segment_path(uint64_t first_lsn) const;

  FileSystem& fs_;
  std::string dir_;
  std::vector<Segment> segments_;
  std::unique_ptr<File> active_;
  uint64_t next_lsn_ = 1;
};

}  // namespace iotwins::tsdb
