// Block files: the immutable, sealed form of one time window of data.
//
// Layout: "TSDBBLK1", then chunks back to back, then the index (one 41-byte entry per chunk:
// u32 series id, u8 column, u32 count, i64 first ts, i64 last ts, u64 offset, u32 size,
// u32 reserved), then a 48-byte footer: u64 index offset, u32 entry count, u32 index crc32c,
// i64 window start, i64 resolution (0 = raw samples, else the rollup bucket width), u32 round,
// u32 footer crc32c, "TSDBEND1". Entries are sorted by (series, column, first ts).
// Chunks are read with pread through FileSystem; the index is held in memory while open.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/fs.h"
#include "core/result.h"
#include "tsdb/sample.h"

namespace iotwins::tsdb {

using SeriesId = uint32_t;

struct BlockEntry {
  SeriesId series = 0;
  uint8_t column = 0;
  uint32_t count = 0;
  int64_t first_ts = 0;
  int64_t last_ts = 0;
  uint64_t offset = 0;
  uint32_t size = 0;
};

struct BlockMeta {
  int64_t window_start = 0;
  int64_t resolution = 0;  // 0 = raw
  uint32_t round = 0;
};

class BlockWriter {
 public:
  explicit BlockWriter(BlockMeta meta);
  // Chunks must be added in (series, column, first ts) order.
  void add(SeriesId series, uint8_t column, std::string_view chunk);
  bool empty() const { return entries_.empty(); }
  // Writes the file durably (temp file, fsync, rename); the caller syncs the directory.
  Status write(FileSystem& fs, const std::string& path);

 private:
  BlockMeta meta_;
  std::string data_;
  std::vector<BlockEntry> entries_;
};

class BlockReader {
 public:
  static Result<std::shared_ptr<BlockReader>> open(FileSystem& fs, const std::string& path);

  const BlockMeta& meta() const { return meta_; }
  const std::string& path() const { return path_; }
  uint64_t file_bytes() const { return file_bytes_; }
  // Entries of one series and column, in time order.
  std::span<const BlockEntry> find(SeriesId series, uint8_t column) const;
  const std::vector<BlockEntry>& entries() const { return entries_; }
  // The raw bytes of one chunk.
  Result<std::string> read_chunk(const BlockEntry& e) const;
  // Decodes one chunk, appending to out.
  Status decode(const BlockEntry& e, std::vector<Sample>& out) const;

 private:
  BlockReader() = default;
  std::string path_;
  std::unique_ptr<File> file_;
  BlockMeta meta_;
  uint64_t file_bytes_ = 0;
  std::vector<BlockEntry> entries_;
};

}  // namespace iotwins::tsdb
