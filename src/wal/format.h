// On-disk format of WAL segments.
//
// A segment is named by the sequence number of its first record, zero-padded to 20 digits
// ("00000000000000000001.wal"), so a sorted listing is log order. It starts with a header
//   magic "IOTWAL1\n" (8) | first_seq u64 | crc32c of the previous 16 bytes u32
// followed by frames
//   crc u32 | length u32 | seq u64 | append time ns i64 | payload (length bytes)
// where crc is the CRC32C of everything after the crc field. All integers little-endian.
// A frame is valid only if its CRC matches and its seq is the one expected next, so zeroed or
// stale bytes after a crash can never be mistaken for records.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/fs.h"
#include "core/result.h"

namespace iotwins::wal {

inline constexpr size_t kSegmentHeaderSize = 20;
inline constexpr size_t kFrameHeaderSize = 24;
inline constexpr std::string_view kSegmentMagic = "IOTWAL1\n";
inline constexpr std::string_view kSegmentSuffix = ".wal";

std::string segment_name(uint64_t first_seq);
// The first sequence number a segment file name encodes, or nullopt for other files.
std::optional<uint64_t> parse_segment_name(std::string_view name);

std::string encode_segment_header(uint64_t first_seq);
// Checks magic and CRC; returns the first sequence number.
Result<uint64_t> decode_segment_header(std::string_view bytes);

// The fixed-width integer at `at` of `in`, little-endian (the host's order, as everywhere here).
template <class T>
T load_le(std::string_view in, size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof(T));
  return v;
}

// Appends v little-endian to out.
template <class T>
void store_le(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

// Appends one frame to out.
void encode_frame(std::string& out, uint64_t seq, int64_t ts_ns, std::string_view payload);

struct Frame {
  uint64_t seq = 0;
  int64_t ts_ns = 0;
  std::string payload;
  uint64_t offset = 0;  // of the frame in its segment
  uint64_t size = 0;    // header + payload
};

// Reads the frames of one segment in order, through a read buffer.
class FrameScanner {
 public:
  // Starts at `offset` (normally kSegmentHeaderSize) expecting sequence number `next_seq`.
  FrameScanner(const File& file, std::string path, uint64_t offset, uint64_t next_seq,
               uint32_t max_payload);

  // The next frame; nullopt at a clean end of the file. A frame that is cut short, fails its
  // CRC, is longer than max_payload or carries an unexpected seq gives a corruption error;
  // offset() then still names the start of that frame.
  Result<std::optional<Frame>> next();
  // Skips frames (reading only their headers and checking only framing) until the next frame
  // would carry `seq`.
  Status skip_to(uint64_t seq);

  uint64_t offset() const { return offset_; }
  uint64_t next_seq() const { return next_seq_; }

 private:
  // Makes at least n bytes from offset_ available in buf_; fewer only at end of file.
  Status fill(size_t n);
  Error bad_frame(std::string why) const;

  const File& file_;
  std::string path_;
  uint64_t offset_;
  uint64_t next_seq_;
  uint32_t max_payload_;
  std::string buf_;
  uint64_t buf_offset_ = 0;  // file offset of buf_[0]
};

}  // namespace iotwins::wal
