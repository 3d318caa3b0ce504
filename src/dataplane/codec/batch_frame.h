// Batch frames: how records travel between levels (ARCHITECTURE.md §4).
//
// Frame (little-endian):
//   0  magic "IOTB" | 4 version u8 (1) | 5 flags u8 (bit 0: payload is zstd) |
//   6  source length u8 | 7 stream length u8 | 8 first_seq u64 | 16 record count u32 |
//   20 uncompressed payload length u32 | 24 stored payload length u32 |
//   28 crc32c of the stored payload u32 | 32 source node id | stream name |
//   crc32c of all header bytes before it u32 | stored payload
// The frame is exactly that long: no trailing bytes.
//
// Payload: a dictionary of twins and of series (twin index + property), then the records:
//   varint n_twins, (varint len, bytes)*; varint n_series, (varint twin, varint len, bytes)*;
//   zigzag-varint base time; then per record a tag byte and
//     sample (0): varint series, zigzag-varint time delta, float64 (8 bytes)
//     event  (1): varint twin, varint len + type, zigzag-varint time delta, varint len + JSON
// Time deltas are from the previous record (the first from the base time), computed modulo
// 2^64 so any int64 timestamps round-trip. Record i carries sequence number first_seq + i.
//
// Decoding trusts nothing: every length is bounded by the limits and by the bytes present,
// the decompressed size is fixed by the header before zstd runs (no decompression bombs), and
// every error names the field and offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dataplane/codec/records.h"

namespace iotwins::dataplane {

struct Batch {
  std::string source_node;
  std::string stream;
  uint64_t first_seq = 0;
  std::vector<Record> records;
  bool operator==(const Batch&) const = default;
};

struct BatchHeader {
  std::string source_node;
  std::string stream;
  uint64_t first_seq = 0;
  uint32_t record_count = 0;
  uint32_t uncompressed_bytes = 0;
  bool compressed = false;
  size_t frame_bytes = 0;  // header + payload
};

struct BatchLimits {
  size_t max_frame_bytes = 16u << 20;
  size_t max_uncompressed_bytes = 64u << 20;
  size_t max_records = 1'000'000;
  size_t max_event_type_bytes = 128;
  size_t max_event_json_bytes = 64u << 10;
};

struct BatchEncodeOptions {
  bool compress = true;
  int zstd_level = 3;
};

inline constexpr std::string_view kBatchMagic = "IOTB";
inline constexpr uint8_t kBatchVersion = 1;

// Checks names, finite values and limits; encodes and (by default) compresses.
Result<std::string> encode_batch(const Batch& batch, const BatchEncodeOptions& options = {},
                                 const BatchLimits& limits = {});

// Validates the header only (magic, version, flags, lengths, header CRC, limits), e.g. to
// skip a batch already applied without decompressing it.
Result<BatchHeader> decode_batch_header(std::string_view frame, const BatchLimits& limits = {});

Result<Batch> decode_batch(std::string_view frame, const BatchLimits& limits = {});

}  // namespace iotwins::dataplane
