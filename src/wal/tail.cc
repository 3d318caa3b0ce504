#include "wal/tail.h"

#include <algorithm>

#include "wal/consumers.h"
#include "wal/crc32c.h"
#include "wal/format.h"

namespace iotwins::wal {
namespace {

constexpr size_t kReadChunk = 256 << 10;

}  // namespace

Result<std::unique_ptr<TailReader>> TailReader::open(FileSystem& fs, std::string dir,
                                                     uint64_t from_seq, TailOptions options) {
  IOT_ASSIGN(bool exists, fs.exists(dir));
  if (!exists) return make_error(Errc::not_found, "wal directory " + dir + " does not exist");
  return std::unique_ptr<TailReader>(
      new TailReader(fs, std::move(dir), std::max<uint64_t>(from_seq, 1), options));
}

void TailReader::seek(uint64_t seq) {
  // Moving forward inside the open segment skips ahead in next(); anything else reopens.
  if (file_ && seq < offset_seq_) close_segment();
  next_seq_ = std::max<uint64_t>(seq, 1);
}

void TailReader::close_segment() {
  file_.reset();
  path_.clear();
  buf_.clear();
}

Result<uint64_t> TailReader::first_available_seq() {
  IOT_ASSIGN(auto names, fs_.list(dir_));
  for (const auto& name : names) {  // sorted: the first segment is the oldest
    if (auto first = parse_segment_name(name)) return *first;
  }
  return uint64_t{0};
}

Result<bool> TailReader::open_segment() {
  close_segment();
  IOT_ASSIGN(auto names, fs_.list(dir_));
  std::optional<uint64_t> oldest, found;
  bool newer = false;
  for (const auto& name : names) {
    auto first = parse_segment_name(name);
    if (!first) continue;
    if (!oldest) oldest = *first;
    if (*first <= next_seq_) {
      found = *first;
    } else {
      newer = true;
    }
  }
  if (!found) {
    if (!oldest) return false;  // the writer has not created its first segment yet
    return make_error(Errc::not_found, "wal " + dir_ + ": record " + std::to_string(next_seq_) +
                                           " was deleted; the oldest record is " +
                                           std::to_string(*oldest));
  }
  std::string path = join_path(dir_, segment_name(*found));
  auto file = fs_.open(path, OpenMode::read);
  if (!file) {
    // Deleted by the writer between the listing and here: the caller retries.
    if (file.error().code() == Errc::not_found) return false;
    return std::unexpected(std::move(file.error()));
  }
  IOT_ASSIGN(std::string header, (*file)->read_at(0, kSegmentHeaderSize));
  if (header.size() < kSegmentHeaderSize && !newer) return false;  // being created
  auto first = decode_segment_header(header);
  if (!first) return std::unexpected(std::move(first.error()).context(path));
  if (*first != *found) {
    return make_error(Errc::corruption, path + ": header says first record " +
                                            std::to_string(*first));
  }
  file_ = std::move(*file);
  path_ = std::move(path);
  segment_first_ = *found;
  offset_ = kSegmentHeaderSize;
  offset_seq_ = *found;
  buf_offset_ = offset_;
  return true;
}

Result<TailReader::Read> TailReader::read_frame(WalRecord& out) {
  auto available = [&](size_t n) -> Result<bool> {
    uint64_t have = buf_offset_ + buf_.size() - offset_;
    if (have >= n) return true;
    IOT_ASSIGN(std::string more,
               file_->read_at(buf_offset_ + buf_.size(), std::max(n - have, kReadChunk)));
    buf_ += more;
    return buf_offset_ + buf_.size() - offset_ >= n;
  };
  auto incomplete = [&](bool at_end) {
    // Never keep bytes of a frame still being written: they may be cut and rewritten.
    buf_.clear();
    buf_offset_ = offset_;
    return at_end ? Read::end : Read::incomplete;
  };
  auto bad = [&](std::string why) {
    buf_.clear();  // a retry (after the writer cut a torn tail) reads the file afresh
    buf_offset_ = offset_;
    return make_error(Errc::corruption, path_ + " at offset " + std::to_string(offset_) +
                                            " (record " + std::to_string(offset_seq_) +
                                            "): " + std::move(why));
  };
  IOT_ASSIGN(bool header, available(kFrameHeaderSize));
  if (!header) return incomplete(buf_offset_ + buf_.size() == offset_);
  std::string_view view = std::string_view(buf_).substr(offset_ - buf_offset_);
  uint32_t len = load_le<uint32_t>(view, 4);
  if (len > opts_.max_record_bytes) {
    return bad("frame length " + std::to_string(len) + " exceeds the record limit " +
               std::to_string(opts_.max_record_bytes));
  }
  IOT_ASSIGN(bool whole, available(kFrameHeaderSize + len));
  if (!whole) return incomplete(false);
  view = std::string_view(buf_).substr(offset_ - buf_offset_);
  if (crc32c(view.substr(4, kFrameHeaderSize - 4 + len)) != load_le<uint32_t>(view, 0)) {
    return bad("checksum mismatch");
  }
  if (uint64_t seq = load_le<uint64_t>(view, 8); seq != offset_seq_) {
    return bad("carries sequence number " + std::to_string(seq));
  }
  out.seq = offset_seq_;
  out.ts_ns = load_le<int64_t>(view, 16);
  out.payload.assign(view.substr(kFrameHeaderSize, len));
  offset_ += kFrameHeaderSize + len;
  ++offset_seq_;
  if (offset_ - buf_offset_ > kReadChunk) {  // drop consumed bytes now and then
    buf_.erase(0, offset_ - buf_offset_);
    buf_offset_ = offset_;
  }
  return Read::record;
}

Result<std::optional<WalRecord>> TailReader::next() {
  // Bounded: skipping inside a segment loops in read_frame calls, switching segments at most
  // a few times per call.
  for (int switches = 0; switches < 4;) {
    if (!file_) {
      IOT_ASSIGN(bool opened, open_segment());
      if (!opened) return std::optional<WalRecord>();
    }
    WalRecord record;
    IOT_ASSIGN(Read read, read_frame(record));
    if (read == Read::record) {
      if (record.seq < next_seq_) continue;  // skipping to next_seq_
      ++next_seq_;
      return std::optional<WalRecord>(std::move(record));
    }
    // The writer creates the next segment only after its last write to this one, so once the
    // next segment exists this one is complete.
    // (An empty segment is never sealed, and the next one cannot share its name.)
    bool sealed = false;
    if (offset_seq_ != segment_first_) {
      IOT_ASSIGN(sealed, fs_.exists(join_path(dir_, segment_name(offset_seq_))));
    }
    if (!sealed) {
      // The writer deletes only sealed segments: if ours is gone, so may be its successor.
      IOT_ASSIGN(bool still_there, fs_.exists(path_));
      if (still_there) return std::optional<WalRecord>();  // not written yet
    }
    IOT_ASSIGN(read, read_frame(record));            // look again now that it is sealed
    if (read == Read::record) {
      return make_error(Errc::corruption, path_ + " holds record " + std::to_string(record.seq) +
                                              " which the next segment starts with");
    }
    if (read == Read::incomplete) {
      return make_error(Errc::corruption, path_ + " at offset " + std::to_string(offset_) +
                                              ": sealed segment ends in an incomplete frame");
    }
    close_segment();
    if (next_seq_ < offset_seq_) next_seq_ = offset_seq_;
    ++switches;
  }
  return std::optional<WalRecord>();
}

Status commit_external_offset(FileSystem& fs, const std::string& dir, std::string_view consumer,
                              uint64_t seq) {
  IOT_TRY(validate_consumer_name(consumer));
  ConsumerOffsets offsets;
  offsets.emplace(std::string(consumer), seq);
  return fs.write_file_atomic(join_path(dir, std::string(consumer) + std::string(kExternalOffsetSuffix)),
                              encode_consumers(offsets));
}

Result<std::optional<uint64_t>> read_external_offset(FileSystem& fs, const std::string& dir,
                                                     std::string_view consumer) {
  IOT_TRY(validate_consumer_name(consumer));
  std::string path = join_path(dir, std::string(consumer) + std::string(kExternalOffsetSuffix));
  IOT_ASSIGN(bool exists, fs.exists(path));
  if (!exists) return std::optional<uint64_t>();
  IOT_ASSIGN(std::string text, fs.read_file(path));
  IOT_ASSIGN(auto offsets, decode_consumers(text, path));
  auto it = offsets.find(consumer);
  if (offsets.size() != 1 || it == offsets.end()) {
    return make_error(Errc::corruption, path + ": expected the offset of consumer " +
                                            std::string(consumer) + " alone");
  }
  return std::optional<uint64_t>(it->second);
}

}  // namespace iotwins::wal
