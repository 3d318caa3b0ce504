#include "wal/format.h"

#include <charconv>
#include <cstring>

#include "wal/crc32c.h"

namespace iotwins::wal {
namespace {

constexpr size_t kReadChunk = 1 << 20;

template <class T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // little-endian host
  out.append(b, sizeof(T));
}

template <class T>
T get(std::string_view in, size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof(T));
  return v;
}

}  // namespace

std::string segment_name(uint64_t first_seq) {
  std::string digits = std::to_string(first_seq);
  return std::string(20 - digits.size(), '0') + digits + std::string(kSegmentSuffix);
}

std::optional<uint64_t> parse_segment_name(std::string_view name) {
  if (name.size() != 20 + kSegmentSuffix.size() || !name.ends_with(kSegmentSuffix)) {
    return std::nullopt;
  }
  uint64_t seq = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + 20, seq);
  if (ec != std::errc() || end != name.data() + 20) return std::nullopt;
  return seq;
}

std::string encode_segment_header(uint64_t first_seq) {
  std::string out(kSegmentMagic);
  put<uint64_t>(out, first_seq);
  put<uint32_t>(out, crc32c(out));
  return out;
}

Result<uint64_t> decode_segment_header(std::string_view bytes) {
  if (bytes.size() < kSegmentHeaderSize) {
    return make_error(Errc::corruption, "segment header is cut short (" +
                                            std::to_string(bytes.size()) + " of " +
                                            std::to_string(kSegmentHeaderSize) + " bytes)");
  }
  if (bytes.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    return make_error(Errc::corruption, "not a wal segment (bad magic)");
  }
  if (crc32c(bytes.substr(0, 16)) != get<uint32_t>(bytes, 16)) {
    return make_error(Errc::corruption, "segment header checksum mismatch");
  }
  return get<uint64_t>(bytes, 8);
}

void encode_frame(std::string& out, uint64_t seq, int64_t ts_ns, std::string_view payload) {
  size_t start = out.size();
  put<uint32_t>(out, 0);  // crc, filled below
  put<uint32_t>(out, static_cast<uint32_t>(payload.size()));
  put<uint64_t>(out, seq);
  put<int64_t>(out, ts_ns);
  out.append(payload);
  uint32_t crc = crc32c(std::string_view(out).substr(start + 4));
  std::memcpy(out.data() + start, &crc, 4);
}

FrameScanner::FrameScanner(const File& file, std::string path, uint64_t offset,
                           uint64_t next_seq, uint32_t max_payload)
    : file_(file),
      path_(std::move(path)),
      offset_(offset),
      next_seq_(next_seq),
      max_payload_(max_payload),
      buf_offset_(offset) {}

Status FrameScanner::fill(size_t n) {
  uint64_t have_from = offset_ - buf_offset_;
  if (buf_.size() - have_from >= n) return ok();
  buf_.erase(0, have_from);
  buf_offset_ = offset_;
  size_t want = std::max(n - buf_.size(), kReadChunk);
  IOT_ASSIGN(std::string more, file_.read_at(buf_offset_ + buf_.size(), want));
  buf_ += more;
  return ok();
}

Error FrameScanner::bad_frame(std::string why) const {
  return Error(Errc::corruption, path_ + " at offset " + std::to_string(offset_) +
                                     " (record " + std::to_string(next_seq_) + "): " +
                                     std::move(why));
}

Result<std::optional<Frame>> FrameScanner::next() {
  IOT_TRY(fill(kFrameHeaderSize));
  std::string_view view = std::string_view(buf_).substr(offset_ - buf_offset_);
  if (view.empty()) return std::optional<Frame>();
  if (view.size() < kFrameHeaderSize) {
    return std::unexpected(bad_frame("frame header cut short after " +
                                     std::to_string(view.size()) + " bytes"));
  }
  uint32_t crc = get<uint32_t>(view, 0);
  uint32_t len = get<uint32_t>(view, 4);
  if (len > max_payload_) {
    return std::unexpected(bad_frame("frame length " + std::to_string(len) +
                                     " exceeds the record limit " +
                                     std::to_string(max_payload_)));
  }
  IOT_TRY(fill(kFrameHeaderSize + len));
  view = std::string_view(buf_).substr(offset_ - buf_offset_);
  if (view.size() < kFrameHeaderSize + len) {
    return std::unexpected(bad_frame("frame cut short: " + std::to_string(view.size()) +
                                     " of " + std::to_string(kFrameHeaderSize + len) +
                                     " bytes"));
  }
  std::string_view body = view.substr(4, kFrameHeaderSize - 4 + len);
  if (crc32c(body) != crc) return std::unexpected(bad_frame("checksum mismatch"));
  uint64_t seq = get<uint64_t>(view, 8);
  if (seq != next_seq_) {
    return std::unexpected(bad_frame("carries sequence number " + std::to_string(seq)));
  }
  Frame frame{.seq = seq,
              .ts_ns = get<int64_t>(view, 16),
              .payload = std::string(view.substr(kFrameHeaderSize, len)),
              .offset = offset_,
              .size = kFrameHeaderSize + len};
  offset_ += frame.size;
  ++next_seq_;
  return std::optional<Frame>(std::move(frame));
}

Status FrameScanner::skip_to(uint64_t seq) {
  while (next_seq_ < seq) {
    IOT_ASSIGN(auto frame, next());
    if (!frame) {
      return make_error(Errc::corruption, path_ + " ends at record " +
                                              std::to_string(next_seq_) + " before record " +
                                              std::to_string(seq));
    }
  }
  return ok();
}

}  // namespace iotwins::wal
