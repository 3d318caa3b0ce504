#include "tsdb/chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "tsdb/bit_stream.h"
#include "tsdb/crc32c.h"

namespace iotwins::tsdb {
namespace {

constexpr int64_t kSec = 1'000'000'000;

uint64_t bits(double v) { return std::bit_cast<uint64_t>(v); }

// Round-trips samples and compares bit patterns (so NaN payloads and -0.0 count).
void expect_round_trip(const std::vector<Sample>& in) {
  std::string chunk = encode_chunk(in);
  std::vector<Sample> out;
  ASSERT_TRUE(decode_chunk(chunk, out));
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    ASSERT_EQ(out[i].ts, in[i].ts) << "sample " << i;
    ASSERT_EQ(bits(out[i].value), bits(in[i].value)) << "sample " << i << " value " << in[i].value;
  }
}

TEST(Crc32c, KnownVectors) {
  // RFC 3720 B.4 test vectors.
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c("56789", crc32c("1234")), 0xE3069283u);
}

TEST(BitStream, WritesAndReadsEveryWidth) {
  std::mt19937_64 rng(7);
  BitWriter w;
  std::vector<std::pair<uint64_t, int>> written;
  for (int i = 0; i < 5000; ++i) {
    int n = static_cast<int>(rng() % 65);
    uint64_t v = n == 64 ? rng() : rng() & ((uint64_t{1} << n) - 1);
    w.write(v, n);
    written.emplace_back(v, n);
  }
  std::string bytes = w.finish();
  BitReader r(bytes);
  for (auto [v, n] : written) ASSERT_EQ(r.read(n), v);
  EXPECT_FALSE(r.overrun());
  r.read(16);
  EXPECT_TRUE(r.overrun());
}

TEST(Chunk, OnePointChunk) {
  expect_round_trip({{123, 4.5}});
  expect_round_trip({{-1, -0.0}});
  expect_round_trip({{std::numeric_limits<int64_t>::min(), std::nan("")}});
}

TEST(Chunk, ConstantSeriesCostsAboutTwoBitsPerSample) {
  std::vector<Sample> s;
  for (int i = 0; i < 1000; ++i) s.push_back({1'700'000'000 * kSec + i * kSec, 21.5});
  expect_round_trip(s);
  // One bit for the timestamp's zero delta-of-delta, one for the unchanged value.
  EXPECT_LE(encode_chunk(s).size(), kChunkHeaderBytes + 16 + 2 * 1000 / 8 + 8);
}

TEST(Chunk, HugeJumpsAndExtremeTimestamps) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  expect_round_trip({{kMin, 1}, {kMax, 2}, {kMin, 3}, {0, 4}, {kMax, 5}, {kMax, 6}, {-5, 7}});
  expect_round_trip({{0, 0}, {1, 1e308}, {2, -1e308}, {3, 5e-324}, {4, 0}, {5, 1e-300}});
}

TEST(Chunk, NanPayloadsInfinitiesAndNegativeZero) {
  double quiet = std::numeric_limits<double>::quiet_NaN();
  double payload = std::bit_cast<double>(uint64_t{0x7FF0000000000123});  // signalling NaN
  double neg_nan = std::bit_cast<double>(uint64_t{0xFFF8000000000001});
  double inf = std::numeric_limits<double>::infinity();
  expect_round_trip({{1, quiet}, {2, payload}, {3, neg_nan}, {4, inf}, {5, -inf}, {6, -0.0},
                     {7, 0.0}, {8, -0.0}, {9, 1.5}});
  // -0.0 among decimals must not be turned into +0.0 by the decimal codec.
  expect_round_trip({{1, 1.25}, {2, -0.0}, {3, 2.5}});
}

TEST(Chunk, DecimalCodecIsChosenForPrintedReadingsAndIsCompact) {
  std::vector<Sample> s;
  std::mt19937_64 rng(1);
  double v = 79.3366;
  for (int i = 0; i < 1000; ++i) {
    v = std::round((v + (static_cast<double>(rng() % 2001) - 1000) / 1e4) * 1e4) / 1e4;
    s.push_back({i * kSec, v});
  }
  expect_round_trip(s);
  std::string c = encode_chunk(s);
  EXPECT_EQ(parse_chunk_header(c)->codec, ValueCodec::decimal);
  EXPECT_EQ(parse_chunk_header(c)->decimal_exp, 4);
  EXPECT_EQ(parse_chunk_header(c)->ts_unit_exp, 3);  // whole seconds
  // Deltas below 2^11 in zigzag: <= 2 + 12 bits each, plus 1 bit of timestamp.
  EXPECT_LT(c.size(), kChunkHeaderBytes + 16 + 1000 * 15 / 8 + 16);
}

TEST(Chunk, RandomizedRoundTrips) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 400; ++round) {
    size_t n = 1 + rng() % 600;
    int kind = static_cast<int>(rng() % 6);
    std::vector<Sample> s(n);
    int64_t ts = static_cast<int64_t>(rng());
    double v = static_cast<double>(rng() % 10000) / 100;
    for (size_t i = 0; i < n; ++i) {
      switch (kind) {
        case 0:  // random bit patterns everywhere
          s[i] = {static_cast<int64_t>(rng()), std::bit_cast<double>(rng())};
          break;
        case 1:  // regular ms timestamps with jitter, 2-decimal random walk
          ts += 1'000'000 * (1000 + static_cast<int64_t>(rng() % 21) - 10);
          v = std::round((v + static_cast<double>(static_cast<int>(rng() % 201) - 100) / 100) * 100) /
              100;
          s[i] = {ts, v};
          break;
        case 2:  // constant with occasional jumps
          ts += kSec;
          if (rng() % 50 == 0) v = std::bit_cast<double>(rng());
          s[i] = {ts, v};
          break;
        case 3:  // smooth floats
          ts += 100'000'000;
          s[i] = {ts, std::sin(static_cast<double>(i) / 10) * 1e3};
          break;
        case 4:  // mixed specials
          ts += static_cast<int64_t>(rng() % 1'000'000'000'000);
          {
            const double specials[] = {std::nan(""), -0.0, 0.0, INFINITY, -INFINITY, 1e-310, 3.0};
            s[i] = {ts, specials[rng() % 7]};
          }
          break;
        default:  // integers (counters) with wide steps
          ts += static_cast<int64_t>(rng() % 5000);
          v += static_cast<double>(rng() % 100000);
          s[i] = {ts, v};
          break;
      }
    }
    SCOPED_TRACE("round " + std::to_string(round) + " kind " + std::to_string(kind));
    expect_round_trip(s);
  }
}

TEST(Chunk, CorruptionIsDetectedNotDecoded) {
  std::vector<Sample> s;
  for (int i = 0; i < 100; ++i) s.push_back({i * kSec, i * 0.5});
  std::string c = encode_chunk(s);
  std::vector<Sample> out;
  for (size_t pos : {size_t{0}, size_t{5}, size_t{13}, size_t{20}, size_t{40}, c.size() - 1}) {
    std::string bad = c;
    bad[pos] ^= 0x10;
    EXPECT_EQ(decode_chunk(bad, out).error().code(), Errc::corruption) << pos;
  }
  EXPECT_EQ(decode_chunk(c.substr(0, c.size() - 1), out).error().code(), Errc::corruption);
  EXPECT_EQ(decode_chunk(c.substr(0, 10), out).error().code(), Errc::corruption);
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(decode_chunk(c + "trailing bytes are ignored", out));
  EXPECT_EQ(out, s);
}

}  // namespace
}  // namespace iotwins::tsdb
