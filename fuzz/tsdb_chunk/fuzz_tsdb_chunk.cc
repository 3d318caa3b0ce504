// Fuzzes the chunk decoder with arbitrary bytes (chunks are read back from disk, which may be
// corrupt), and the encoder with arbitrary samples: whatever decodes must re-encode and decode
// to the same bits.
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "tsdb/chunk.h"

using iotwins::tsdb::Sample;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<Sample> out;
  (void)iotwins::tsdb::decode_chunk(bytes, out);

  // Treat the input as raw samples and demand a bit-exact round trip.
  std::vector<Sample> in(size / 16);
  for (size_t i = 0; i < in.size(); ++i) {
    std::memcpy(&in[i].ts, data + 16 * i, 8);
    std::memcpy(&in[i].value, data + 16 * i + 8, 8);
  }
  if (in.empty()) return 0;
  std::vector<Sample> back;
  if (!iotwins::tsdb::decode_chunk(iotwins::tsdb::encode_chunk(in), back)) __builtin_trap();
  if (back.size() != in.size()) __builtin_trap();
  for (size_t i = 0; i < in.size(); ++i) {
    if (back[i].ts != in[i].ts ||
        std::bit_cast<uint64_t>(back[i].value) != std::bit_cast<uint64_t>(in[i].value)) {
      __builtin_trap();
    }
  }
  return 0;
}
