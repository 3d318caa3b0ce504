#include "tsdb/chunk.h"

#include <bit>
#include <cmath>
#include <string>

#include "tsdb/bit_stream.h"
#include "tsdb/crc32c.h"
#include "tsdb/encoding.h"

namespace iotwins::tsdb {
namespace {

constexpr uint8_t kVersion = 1;
constexpr int kMaxDecimalExp = 15;
constexpr int64_t kMaxDecimalInt = int64_t{1} << 53;

constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
constexpr int64_t kTsUnits[] = {1, 1'000, 1'000'000, 1'000'000'000};  // ns, us, ms, s

// Two's-complement wrapping arithmetic, so any int64 sequence round-trips.
uint64_t zigzag(uint64_t v) { return (v << 1) ^ (0 - (v >> 63)); }
uint64_t unzigzag(uint64_t u) { return (u >> 1) ^ (0 - (u & 1)); }

// ---- timestamps: delta-of-delta with prefix-coded widths (Gorilla, widened for ns) ----
struct DodBucket {
  int prefix_len;
  uint64_t prefix;
  int bits;
};
constexpr DodBucket kDod[] = {{2, 0b10, 7}, {3, 0b110, 14}, {4, 0b1110, 24}, {5, 0b11110, 36}};

void put_dod(BitWriter& w, uint64_t dod) {
  if (dod == 0) {
    w.write_bit(false);
    return;
  }
  uint64_t zz = zigzag(dod);
  for (const auto& b : kDod) {
    if (zz < (uint64_t{1} << b.bits)) {
      w.write(b.prefix, b.prefix_len);
      w.write(zz, b.bits);
      return;
    }
  }
  w.write(0b11111, 5);
  w.write(dod, 64);
}

uint64_t get_dod(BitReader& r) {
  int ones = r.read_unary(5);
  if (ones == 0) return 0;
  if (ones == 5) return r.read(64);
  return unzigzag(r.read(kDod[ones - 1].bits));
}

uint8_t pick_ts_unit(std::span<const Sample> s) {
  for (int e = 3; e > 0; --e) {
    int64_t unit = kTsUnits[e];
    bool all = true;
    for (const auto& x : s) {
      if (x.ts % unit != 0) {
        all = false;
        break;
      }
    }
    if (all) return static_cast<uint8_t>(e);
  }
  return 0;
}

void encode_timestamps(BitWriter& w, std::span<const Sample> s, int64_t unit) {
  uint64_t prev = static_cast<uint64_t>(s[0].ts / unit);
  w.write(prev, 64);
  uint64_t prev_delta = 0;
  for (size_t i = 1; i < s.size(); ++i) {
    uint64_t cur = static_cast<uint64_t>(s[i].ts / unit);
    uint64_t delta = cur - prev;
    put_dod(w, delta - prev_delta);
    prev_delta = delta;
    prev = cur;
  }
}

void decode_timestamps(BitReader& r, Sample* out, uint32_t n, int64_t unit) {
  uint64_t cur = r.read(64);
  out[0].ts = static_cast<int64_t>(cur * static_cast<uint64_t>(unit));
  uint64_t delta = 0;
  for (uint32_t i = 1; i < n; ++i) {
    delta += get_dod(r);
    cur += delta;
    out[i].ts = static_cast<int64_t>(cur * static_cast<uint64_t>(unit));
  }
}

// ---- values, xor codec (Gorilla) ----
void encode_xor(BitWriter& w, std::span<const Sample> s) {
  uint64_t prev = std::bit_cast<uint64_t>(s[0].value);
  w.write(prev, 64);
  int prev_lead = -1, prev_trail = 0;
  for (size_t i = 1; i < s.size(); ++i) {
    uint64_t cur = std::bit_cast<uint64_t>(s[i].value);
    uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      w.write_bit(false);
      continue;
    }
    int lead = std::countl_zero(x);
    int trail = std::countr_zero(x);
    if (lead > 31) lead = 31;  // 5 bits of leading-zero count
    if (prev_lead >= 0 && lead >= prev_lead && trail >= prev_trail) {
      w.write(0b10, 2);
      w.write(x >> prev_trail, 64 - prev_lead - prev_trail);
      continue;
    }
    int len = 64 - lead - trail;  // 1..64, stored as len-1 in 6 bits
    w.write(0b11, 2);
    w.write(static_cast<uint64_t>(lead), 5);
    w.write(static_cast<uint64_t>(len - 1), 6);
    w.write(x >> trail, len);
    prev_lead = lead;
    prev_trail = trail;
  }
}

void decode_xor(BitReader& r, Sample* out, uint32_t n) {
  uint64_t cur = r.read(64);
  out[0].value = std::bit_cast<double>(cur);
  int lead = 0, trail = 0;
  for (uint32_t i = 1; i < n; ++i) {
    if (r.read_bit()) {
      if (r.read_bit()) {
        lead = static_cast<int>(r.read(5));
        int len = static_cast<int>(r.read(6)) + 1;
        trail = 64 - lead - len;
        if (trail < 0) trail = 0;  // only in corrupt input; keeps the shift defined
      }
      int len = 64 - lead - trail;
      cur ^= r.read(len) << trail;
    }
    out[i].value = std::bit_cast<double>(cur);
  }
}

// ---- values, decimal codec ----
bool to_decimal(double v, int e, int64_t& r) {
  double scaled = v * kPow10[e];
  if (!(std::fabs(scaled) <= static_cast<double>(kMaxDecimalInt))) return false;  // NaN too
  r = std::llround(scaled);
  double back = static_cast<double>(r) / kPow10[e];
  return std::bit_cast<uint64_t>(back) == std::bit_cast<uint64_t>(v);
}

// The exponent for which every value is an exact decimal, or -1.
int pick_decimal_exp(std::span<const Sample> s) {
  int e = 0;
  int64_t r = 0;
  size_t raised_at = 0;  // values before this index were checked with a smaller exponent only
  for (size_t i = 0; i < s.size(); ++i) {
    if (!std::isfinite(s[i].value)) return -1;
    while (!to_decimal(s[i].value, e, r)) {
      if (++e > kMaxDecimalExp) return -1;
      raised_at = i;
    }
  }
  // Exact at e does not imply exact at a larger e in binary floating point: recheck those.
  for (size_t i = 0; i < raised_at; ++i) {
    if (!to_decimal(s[i].value, e, r)) return -1;
  }
  return e;
}

void encode_decimal(BitWriter& w, std::span<const Sample> s, int e) {
  int64_t prev = 0;
  to_decimal(s[0].value, e, prev);
  w.write(static_cast<uint64_t>(prev), 64);
  int width = 0;
  for (size_t i = 1; i < s.size(); ++i) {
    int64_t cur = 0;
    to_decimal(s[i].value, e, cur);
    uint64_t zz = zigzag(static_cast<uint64_t>(cur - prev));
    prev = cur;
    if (zz == 0) {
      w.write_bit(false);
      continue;
    }
    int need = 64 - std::countl_zero(zz);
    // Reuse the current width unless it wastes more bits than declaring a new one costs.
    if (width >= need && width - need <= 6) {
      w.write(0b10, 2);
      w.write(zz, width);
      continue;
    }
    width = need;
    w.write(0b11, 2);
    w.write(static_cast<uint64_t>(width - 1), 6);
    w.write(zz, width);
  }
}

void decode_decimal(BitReader& r, Sample* out, uint32_t n, int e) {
  uint64_t cur = r.read(64);
  out[0].value = static_cast<double>(static_cast<int64_t>(cur)) / kPow10[e];
  int width = 1;
  for (uint32_t i = 1; i < n; ++i) {
    if (r.read_bit()) {
      if (r.read_bit()) width = static_cast<int>(r.read(6)) + 1;
      cur += unzigzag(r.read(width));
    }
    out[i].value = static_cast<double>(static_cast<int64_t>(cur)) / kPow10[e];
  }
}

}  // namespace

size_t chunk_size(const ChunkHeader& h) { return kChunkHeaderBytes + h.payload_bytes; }

std::string encode_chunk(std::span<const Sample> samples) {
  // The payload is written after room for the header, so the chunk is built in one buffer.
  BitWriter w(kChunkHeaderBytes, samples.size() * 3 + 16);
  uint8_t unit_exp = pick_ts_unit(samples);
  encode_timestamps(w, samples, kTsUnits[unit_exp]);
  int e = pick_decimal_exp(samples);
  ValueCodec codec = e >= 0 ? ValueCodec::decimal : ValueCodec::xor_float;
  if (codec == ValueCodec::decimal) {
    encode_decimal(w, samples, e);
  } else {
    encode_xor(w, samples);
  }
  std::string out = w.finish();
  std::string header;
  header.reserve(kChunkHeaderBytes);
  put_u32(header, 0);
  put_u32(header, static_cast<uint32_t>(out.size() - kChunkHeaderBytes));
  put_u32(header, static_cast<uint32_t>(samples.size()));
  header.push_back(static_cast<char>(kVersion));
  header.push_back(static_cast<char>(codec));
  header.push_back(static_cast<char>(e >= 0 ? e : 0));
  header.push_back(static_cast<char>(unit_exp));
  put_u64(header, static_cast<uint64_t>(samples.front().ts));
  put_u64(header, static_cast<uint64_t>(samples.back().ts));
  out.replace(0, kChunkHeaderBytes, header);
  uint32_t crc = crc32c(std::string_view(out).substr(4));
  for (int i = 0; i < 4; ++i) out[static_cast<size_t>(i)] = static_cast<char>(crc >> (8 * i));
  return out;
}

Result<ChunkHeader> parse_chunk_header(std::string_view bytes) {
  if (bytes.size() < kChunkHeaderBytes) {
    return make_error(Errc::corruption, "chunk shorter than its " +
                                            std::to_string(kChunkHeaderBytes) + "-byte header");
  }
  ChunkHeader h;
  const char* p = bytes.data();
  uint32_t crc = get_u32(p);
  h.payload_bytes = get_u32(p + 4);
  h.count = get_u32(p + 8);
  auto version = static_cast<uint8_t>(p[12]);
  h.codec = static_cast<ValueCodec>(static_cast<uint8_t>(p[13]));
  h.decimal_exp = static_cast<uint8_t>(p[14]);
  h.ts_unit_exp = static_cast<uint8_t>(p[15]);
  h.first_ts = static_cast<int64_t>(get_u64(p + 16));
  h.last_ts = static_cast<int64_t>(get_u64(p + 24));
  if (version != kVersion) {
    return make_error(Errc::corruption, "chunk version " + std::to_string(version) +
                                            " is not supported (expected 1)");
  }
  if (bytes.size() - kChunkHeaderBytes < h.payload_bytes) {
    return make_error(Errc::corruption, "chunk payload of " + std::to_string(h.payload_bytes) +
                                            " bytes is truncated");
  }
  if (crc != crc32c(bytes.substr(4, kChunkHeaderBytes - 4 + h.payload_bytes))) {
    return make_error(Errc::corruption, "chunk checksum mismatch");
  }
  if (h.count == 0 || h.count > kMaxChunkSamples ||
      uint64_t{h.count} > uint64_t{h.payload_bytes} * 8 + 1) {
    return make_error(Errc::corruption, "chunk sample count " + std::to_string(h.count) +
                                            " does not fit its payload");
  }
  if ((h.codec != ValueCodec::xor_float && h.codec != ValueCodec::decimal) ||
      h.decimal_exp > kMaxDecimalExp || h.ts_unit_exp > 3) {
    return make_error(Errc::corruption, "chunk header has an unknown codec or exponent");
  }
  return h;
}

Status decode_chunk(std::string_view bytes, std::vector<Sample>& out) {
  IOT_ASSIGN(ChunkHeader h, parse_chunk_header(bytes));
  size_t base = out.size();
  out.resize(base + h.count);
  BitReader r(bytes.substr(kChunkHeaderBytes, h.payload_bytes));
  Sample* dst = out.data() + base;
  decode_timestamps(r, dst, h.count, kTsUnits[h.ts_unit_exp]);
  if (h.codec == ValueCodec::decimal) {
    decode_decimal(r, dst, h.count, h.decimal_exp);
  } else {
    decode_xor(r, dst, h.count);
  }
  if (r.overrun() || dst[0].ts != h.first_ts || dst[h.count - 1].ts != h.last_ts) {
    out.resize(base);
    return make_error(Errc::corruption, "chunk payload does not decode to its header");
  }
  return ok();
}

}  // namespace iotwins::tsdb
