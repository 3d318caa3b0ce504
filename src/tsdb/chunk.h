// Chunk: an immutable run of samples of one series, compressed Gorilla-style and checksummed.
//
// Layout (little-endian), 32-byte header then the payload bit stream:
//   u32 crc32c of bytes [4, 32 + payload)   u32 payload bytes   u32 sample count
//   u8 version (1)   u8 value codec   u8 decimal exponent   u8 timestamp unit exponent
//   i64 first timestamp   i64 last timestamp
// Payload: every timestamp (delta-of-delta, in units of 10^unit_exp ns), then every value.
// Values use one of two codecs, chosen per chunk by the encoder:
//   - xor:     Facebook Gorilla's XOR of consecutive IEEE-754 bit patterns (any double,
//              NaN payloads and -0.0 included, bit-exact);
//   - decimal: when every value is exactly r / 10^e for integers r (|r| <= 2^53) and one e
//              <= 15, the integers' deltas with an adaptive bit width (sensor readings
//              printed with a few decimals cost ~10-16 bits instead of ~50).
// The codec round-trips any sequence of (int64, double) bit-exactly, in any order.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tsdb/sample.h"

namespace iotwins::tsdb {

inline constexpr size_t kChunkHeaderBytes = 32;
// Decoders refuse larger chunks so untrusted input cannot make them allocate without bound.
inline constexpr uint32_t kMaxChunkSamples = 1u << 20;

enum class ValueCodec : uint8_t { xor_float = 0, decimal = 1 };

struct ChunkHeader {
  uint32_t payload_bytes = 0;
  uint32_t count = 0;
  ValueCodec codec = ValueCodec::xor_float;
  uint8_t decimal_exp = 0;
  uint8_t ts_unit_exp = 0;
  int64_t first_ts = 0;
  int64_t last_ts = 0;
};

// Encodes 1..kMaxChunkSamples samples into a chunk.
std::string encode_chunk(std::span<const Sample> samples);

// Checks a chunk's header and checksum; `bytes` may extend past the chunk.
Result<ChunkHeader> parse_chunk_header(std::string_view bytes);

// Verifies and decodes a whole chunk, appending its samples to out (unchanged on error).
Status decode_chunk(std::string_view bytes, std::vector<Sample>& out);

// Total size (header + payload) of the chunk at the start of `bytes`, from its header.
size_t chunk_size(const ChunkHeader& h);

}  // namespace iotwins::tsdb
