#include "tsdb/block.h"

#include <algorithm>

#include "tsdb/chunk.h"
#include "tsdb/crc32c.h"
#include "tsdb/encoding.h"

namespace iotwins::tsdb {
namespace {

constexpr std::string_view kMagic = "TSDBBLK1";
constexpr std::string_view kEndMagic = "TSDBEND1";
constexpr size_t kEntryBytes = 41;
constexpr size_t kFooterBytes = 48;

}  // namespace

BlockWriter::BlockWriter(BlockMeta meta) : meta_(meta), data_(kMagic) {}

void BlockWriter::add(SeriesId series, uint8_t column, std::string_view chunk) {
  auto h = parse_chunk_header(chunk);
  entries_.push_back({series, column, h ? h->count : 0, h ? h->first_ts : 0, h ? h->last_ts : 0,
                      data_.size(), static_cast<uint32_t>(chunk.size())});
  data_.append(chunk);
}

Status BlockWriter::write(FileSystem& fs, const std::string& path) {
  std::string index;
  index.reserve(entries_.size() * kEntryBytes);
  for (const auto& e : entries_) {
    put_u32(index, e.series);
    index.push_back(static_cast<char>(e.column));
    put_u32(index, e.count);
    put_u64(index, static_cast<uint64_t>(e.first_ts));
    put_u64(index, static_cast<uint64_t>(e.last_ts));
    put_u64(index, e.offset);
    put_u32(index, e.size);
    put_u32(index, 0);
  }
  std::string footer;
  put_u64(footer, data_.size());
  put_u32(footer, static_cast<uint32_t>(entries_.size()));
  put_u32(footer, crc32c(index));
  put_u64(footer, static_cast<uint64_t>(meta_.window_start));
  put_u64(footer, static_cast<uint64_t>(meta_.resolution));
  put_u32(footer, meta_.round);
  put_u32(footer, crc32c(footer));
  footer += kEndMagic;
  std::string tmp = path + ".tmp";
  IOT_ASSIGN(auto file, fs.open(tmp, OpenMode::truncate_write));
  IOT_TRY(file->append(data_));
  IOT_TRY(file->append(index));
  IOT_TRY(file->append(footer));
  IOT_TRY(file->sync());
  IOT_TRY(file->close());
  return fs.rename(tmp, path);
}

Result<std::shared_ptr<BlockReader>> BlockReader::open(FileSystem& fs, const std::string& path) {
  auto corrupt = [&](const std::string& what) {
    return make_error(Errc::corruption, "block " + path + ": " + what);
  };
  std::shared_ptr<BlockReader> b(new BlockReader());
  b->path_ = path;
  IOT_ASSIGN(b->file_, fs.open(path, OpenMode::read));
  IOT_ASSIGN(b->file_bytes_, b->file_->size());
  if (b->file_bytes_ < kMagic.size() + kFooterBytes) return corrupt("file too short");
  IOT_ASSIGN(std::string footer, b->file_->read_at(b->file_bytes_ - kFooterBytes, kFooterBytes));
  if (footer.size() != kFooterBytes || footer.substr(40) != kEndMagic) return corrupt("bad footer magic");
  if (get_u32(footer.data() + 36) != crc32c(std::string_view(footer).substr(0, 36))) {
    return corrupt("footer checksum mismatch");
  }
  uint64_t index_offset = get_u64(footer.data());
  uint32_t n = get_u32(footer.data() + 8);
  uint32_t index_crc = get_u32(footer.data() + 12);
  b->meta_.window_start = static_cast<int64_t>(get_u64(footer.data() + 16));
  b->meta_.resolution = static_cast<int64_t>(get_u64(footer.data() + 24));
  b->meta_.round = get_u32(footer.data() + 32);
  uint64_t index_bytes = uint64_t{n} * kEntryBytes;
  if (index_offset < kMagic.size() || index_offset + index_bytes + kFooterBytes != b->file_bytes_) {
    return corrupt("index does not fit the file");
  }
  IOT_ASSIGN(std::string index, b->file_->read_at(index_offset, index_bytes));
  if (index.size() != index_bytes || crc32c(index) != index_crc) return corrupt("index checksum mismatch");
  b->entries_.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    const char* p = index.data() + size_t{i} * kEntryBytes;
    auto& e = b->entries_[i];
    e.series = get_u32(p);
    e.column = static_cast<uint8_t>(p[4]);
    e.count = get_u32(p + 5);
    e.first_ts = static_cast<int64_t>(get_u64(p + 9));
    e.last_ts = static_cast<int64_t>(get_u64(p + 17));
    e.offset = get_u64(p + 25);
    e.size = get_u32(p + 33);
    if (e.offset < kMagic.size() || e.offset + e.size > index_offset) {
      return corrupt("index entry " + std::to_string(i) + " points outside the data");
    }
  }
  return b;
}

std::span<const BlockEntry> BlockReader::find(SeriesId series, uint8_t column) const {
  auto key = [](const BlockEntry& e) { return std::pair(e.series, e.column); };
  auto lo = std::lower_bound(entries_.begin(), entries_.end(), std::pair(series, column),
                             [&](const BlockEntry& e, auto k) { return key(e) < k; });
  auto hi = std::upper_bound(lo, entries_.end(), std::pair(series, column),
                             [&](auto k, const BlockEntry& e) { return k < key(e); });
  return {lo, hi};
}

Result<std::string> BlockReader::read_chunk(const BlockEntry& e) const {
  IOT_ASSIGN(std::string bytes, file_->read_at(e.offset, e.size));
  if (bytes.size() != e.size) return make_error(Errc::corruption, "block " + path_ + ": short chunk read");
  return bytes;
}

Status BlockReader::decode(const BlockEntry& e, std::vector<Sample>& out) const {
  IOT_ASSIGN(std::string bytes, read_chunk(e));
  auto st = decode_chunk(bytes, out);
  if (!st) return std::unexpected(std::move(st.error()).context("block " + path_));
  return ok();
}

}  // namespace iotwins::tsdb
