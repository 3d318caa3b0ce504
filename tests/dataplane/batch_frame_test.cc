#include "dataplane/codec/batch_frame.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "wal/crc32c.h"

namespace iotwins::dataplane {
namespace {

using wal::crc32c;

Batch sample_batch() {
  return Batch{.source_node = "edge-1",
               .stream = "telemetry",
               .first_seq = 1000,
               .records = {Sample{"press-7", "temp", 1'700'000'000'000'000'000, 21.5},
                           Sample{"press-7", "rpm", 1'700'000'000'000'000'000, 1200},
                           Event{"press-7", "anomaly", 1'700'000'000'500'000'000,
                                 R"({"score":0.97})"},
                           Sample{"press-8", "temp", 1'699'999'999'000'000'000, -4.25}}};
}

// Builds a frame around raw payload bytes, independently of the encoder, so tests can feed the
// decoder payloads the encoder would never produce.
std::string frame_around(std::string_view stored, uint32_t count, uint32_t uncompressed,
                         uint8_t flags = 0, uint8_t version = 1) {
  std::string out = "IOTB";
  out += static_cast<char>(version);
  out += static_cast<char>(flags);
  out += static_cast<char>(2);  // "n1"
  out += static_cast<char>(1);  // "s"
  auto put32 = [&](uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); };
  uint64_t first = 1;
  out.append(reinterpret_cast<const char*>(&first), 8);
  put32(count);
  put32(uncompressed);
  put32(static_cast<uint32_t>(stored.size()));
  put32(crc32c(stored));
  out += "n1s";
  put32(crc32c(out));
  out += stored;
  return out;
}

std::string raw_frame(std::string_view payload, uint32_t count) {
  return frame_around(payload, count, static_cast<uint32_t>(payload.size()));
}

void expect_error(const Result<Batch>& r, Errc code, std::string_view text) {
  ASSERT_FALSE(r) << "expected: " << text;
  EXPECT_EQ(r.error().code(), code) << r.error().to_string();
  EXPECT_NE(r.error().message().find(text), std::string::npos)
      << "expected '" << text << "' in: " << r.error().message();
}

TEST(BatchFrame, RoundTripsCompressedAndPlain) {
  Batch batch = sample_batch();
  for (bool compress : {true, false}) {
    auto frame = encode_batch(batch, {.compress = compress});
    ASSERT_TRUE(frame) << frame.error().to_string();
    auto header = decode_batch_header(*frame);
    ASSERT_TRUE(header);
    EXPECT_EQ(header->source_node, "edge-1");
    EXPECT_EQ(header->stream, "telemetry");
    EXPECT_EQ(header->first_seq, 1000u);
    EXPECT_EQ(header->record_count, 4u);
    EXPECT_EQ(header->compressed, compress);
    EXPECT_EQ(header->frame_bytes, frame->size());
    auto decoded = decode_batch(*frame);
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(*decoded, batch);
  }
  Batch empty{.source_node = "n", .stream = "s", .first_seq = 7};
  EXPECT_EQ(*decode_batch(*encode_batch(empty)), empty);
}

TEST(BatchFrame, SeriesDictionaryMakesRepeatedSamplesCompact) {
  Batch batch{.source_node = "edge-1", .stream = "telemetry", .first_seq = 1};
  for (int i = 0; i < 1000; ++i) {
    batch.records.push_back(Sample{"press-7", "motor.current", 1'700'000'000'000'000'000 +
                                                                    i * 10'000'000LL,
                                   static_cast<double>(i % 17)});
  }
  auto plain = encode_batch(batch, {.compress = false});
  ASSERT_TRUE(plain);
  // Per sample: tag 1 + series 1 + delta varint 4 (10 ms in ns, zigzag) + value 8 = 14 bytes.
  EXPECT_LT(plain->size(), 1000u * 14 + 100);
  auto compressed = encode_batch(batch);
  EXPECT_LT(compressed->size(), plain->size() / 4);
  EXPECT_EQ(*decode_batch(*compressed), batch);
}

TEST(BatchFrame, RandomizedRoundTrips) {
  std::mt19937_64 rng(20240501);
  auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
  const std::vector<std::string> twins = {"a", "press-7", "plant:line-2.cell_3", "x"};
  const std::vector<std::string> properties = {"t", "motor.current", "v:1", "a-b_c.d"};
  const std::vector<int64_t> special_ts = {std::numeric_limits<int64_t>::min(),
                                           std::numeric_limits<int64_t>::max(), 0, -1, 1};
  for (int round = 0; round < 300; ++round) {
    Batch batch{.source_node = twins[pick(twins.size())],
                .stream = properties[pick(properties.size())],
                .first_seq = rng() >> pick(64)};
    size_t n = pick(60);
    for (size_t i = 0; i < n; ++i) {
      int64_t ts = pick(5) == 0 ? special_ts[pick(special_ts.size())]
                                : static_cast<int64_t>(rng());
      if (pick(4) == 0) {
        std::string json(pick(40), '\0');
        for (char& c : json) c = static_cast<char>(rng());
        batch.records.push_back(Event{twins[pick(twins.size())], "type-" + std::to_string(pick(3)),
                                      ts, json});
      } else {
        double v;
        do {
          uint64_t bits = rng();
          std::memcpy(&v, &bits, 8);
        } while (!std::isfinite(v));
        batch.records.push_back(Sample{twins[pick(twins.size())],
                                       properties[pick(properties.size())], ts, v});
      }
    }
    auto frame = encode_batch(batch, {.compress = round % 2 == 0});
    ASSERT_TRUE(frame) << frame.error().to_string();
    auto decoded = decode_batch(*frame);
    ASSERT_TRUE(decoded) << "round " << round << ": " << decoded.error().to_string();
    ASSERT_EQ(*decoded, batch) << "round " << round;
    // Any single flipped bit is caught.
    std::string damaged = *frame;
    size_t at = pick(damaged.size());
    damaged[at] ^= static_cast<char>(1 << pick(8));
    EXPECT_FALSE(decode_batch(damaged)) << "round " << round << " byte " << at;
    // Any cut is caught.
    EXPECT_FALSE(decode_batch(std::string_view(*frame).substr(0, pick(frame->size()))));
  }
}

TEST(BatchFrame, EncoderRejectsWhatTheDecoderWouldRefuse) {
  auto rejects = [](Batch b, Errc code, std::string_view text, BatchLimits limits = {}) {
    auto r = encode_batch(b, {}, limits);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code(), code);
    EXPECT_NE(r.error().message().find(text), std::string::npos) << r.error().message();
  };
  Batch b = sample_batch();
  b.source_node = "";
  rejects(b, Errc::invalid_argument, "batch source node: twin id is empty");
  b = sample_batch();
  b.stream = "a/b";
  rejects(b, Errc::invalid_argument, "batch stream name");
  b = sample_batch();
  std::get<Sample>(b.records[1]).value = std::nan("");
  rejects(b, Errc::invalid_argument, "record 1: sample value is not finite");
  b = sample_batch();
  std::get<Sample>(b.records[0]).twin = "a b";
  rejects(b, Errc::invalid_argument, "record 0: twin id has ' '");
  b = sample_batch();
  std::get<Sample>(b.records[3]).property = "";
  rejects(b, Errc::invalid_argument, "record 3: property name is empty");
  b = sample_batch();
  std::get<Event>(b.records[2]).type = "";
  rejects(b, Errc::invalid_argument, "record 2: event type must be");
  b = sample_batch();
  rejects(b, Errc::too_large, "record 2: event JSON of 14 bytes", {.max_event_json_bytes = 10});
  rejects(sample_batch(), Errc::too_large, "4 records exceed the limit 3", {.max_records = 3});
  rejects(sample_batch(), Errc::too_large, "payload of", {.max_uncompressed_bytes = 20});
  rejects(sample_batch(), Errc::too_large, "frame of", {.max_frame_bytes = 40});
}

TEST(BatchFrame, HeaderDamageIsReportedPrecisely) {
  std::string good = *encode_batch(sample_batch());
  expect_error(decode_batch(good.substr(0, 10)), Errc::invalid_argument, "shorter than a header");
  std::string bad = good;
  bad[0] = 'X';
  expect_error(decode_batch(bad), Errc::invalid_argument, "bad magic");
  expect_error(decode_batch(frame_around("", 0, 0, 0, 2)), Errc::unsupported, "version 2");
  expect_error(decode_batch(frame_around("", 0, 0, 0x80)), Errc::unsupported, "unknown flags");
  bad = good;
  bad[9] ^= 1;  // first_seq, under the header CRC
  expect_error(decode_batch(bad), Errc::corruption, "header checksum mismatch");
  bad = good;
  bad.back() ^= 1;
  expect_error(decode_batch(bad), Errc::corruption, "payload checksum mismatch");
  expect_error(decode_batch(good + "x"), Errc::invalid_argument, "frame has");
  expect_error(decode_batch(good, {.max_frame_bytes = good.size() - 1}), Errc::too_large,
               "exceeds the limit");
  expect_error(decode_batch(good, {.max_records = 3}), Errc::too_large, "4 records");
  expect_error(decode_batch(good, {.max_uncompressed_bytes = 10}), Errc::too_large,
               "(uncompressed) exceeds the limit 10");
  expect_error(decode_batch(frame_around("abc", 0, 2)), Errc::invalid_argument,
               "uncompressed payload length mismatch");
  std::string bad_source = frame_around("", 0, 0);
  bad_source[32] = '/';
  uint32_t crc = crc32c(std::string_view(bad_source).substr(0, 35));
  std::memcpy(bad_source.data() + 35, &crc, 4);
  expect_error(decode_batch(bad_source), Errc::invalid_argument, "source node");
}

TEST(BatchFrame, ZstdBombsAndForeignFramesAreRefusedBeforeInflating) {
  std::string big(1 << 20, 'a');  // 1 MiB of one letter compresses to a few hundred bytes
  std::string bomb(ZSTD_compressBound(big.size()), '\0');
  bomb.resize(ZSTD_compress(bomb.data(), bomb.size(), big.data(), big.size(), 1));
  ASSERT_LT(bomb.size(), 1000u);
  // The header claims 100 bytes; the zstd frame says 1 MiB.
  expect_error(decode_batch(frame_around(bomb, 1, 100, 1)), Errc::invalid_argument,
               "zstd frame declares 1048576 bytes");
  // Honest about its size but over the limit.
  expect_error(decode_batch(frame_around(bomb, 1, big.size(), 1), {.max_uncompressed_bytes = 1000}),
               Errc::too_large, "exceeds the limit 1000");
  // A streamed zstd frame without a content size.
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  std::string unsized(ZSTD_compressBound(big.size()), '\0');
  unsized.resize(ZSTD_compress2(cctx, unsized.data(), unsized.size(), big.data(), big.size()));
  ZSTD_freeCCtx(cctx);
  expect_error(decode_batch(frame_around(unsized, 1, 100, 1)), Errc::invalid_argument,
               "not a zstd frame with a size");
  expect_error(decode_batch(frame_around("not zstd at all", 1, 100, 1)), Errc::invalid_argument,
               "not a zstd frame");
  // Two zstd frames back to back.
  std::string small(ZSTD_compressBound(3), '\0');
  small.resize(ZSTD_compress(small.data(), small.size(), "abc", 3, 1));
  expect_error(decode_batch(frame_around(small + small, 1, 3, 1)), Errc::invalid_argument,
               "exactly one zstd frame");
}

TEST(BatchFrame, PayloadDamageNamesTheOffset) {
  // One twin "t", one series (twin 0, "p"), base time 0; then records.
  const std::string dict("\x01\x01t\x01\x00\x01p\x00", 8);
  const std::string value0(8, '\0');
  const std::string sample = std::string("\x00\x00\x00", 3) + value0;
  auto ok = decode_batch(raw_frame(dict + sample, 1));
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->records, (std::vector<Record>{Sample{"t", "p", 0, 0.0}}));

  double nan = std::nan("");
  std::string nan_bytes(reinterpret_cast<const char*>(&nan), 8);
  struct Case {
    std::string payload;
    uint32_t count;
    const char* expect;
  };
  for (const auto& c : std::vector<Case>{
           {dict + sample, 2, "record tag is missing"},
           {dict + sample + "x", 1, "offset 19: 1 bytes left after the last record"},
           {dict + std::string("\x00\x05\x00", 3) + value0, 1, "series index out of range"},
           {dict + "\x07", 1, "unknown record tag 7 in record 0"},
           {dict + std::string("\x00\x00\x00", 3) + nan_bytes, 1, "sample value is not finite"},
           {dict + std::string("\x00\x00\x00", 3) + "abc", 1, "sample value is cut short"},
           {dict + std::string("\x01\x04\x01" "e\x00\x00", 6), 1, "event twin index out of range"},
           {dict + std::string("\x01\x00\x00", 3), 1, "event type is empty"},
           {dict + std::string("\x01\x00\x01" "e\x00\x05" "ab", 8), 1, "event JSON of 5 bytes runs past"},
           {std::string("\x01\x01/\x00\x00", 5), 0, "offset 1: twin id has '/'"},
           {std::string("\x01\x32t", 3), 0, "twin id of 50 bytes runs past the end"},
           {std::string("\xff\xff\xff\xff\x0f", 5), 0, "twin count 4294967295 exceeds its limit"},
           {std::string(11, '\x80'), 0, "twin count overflows"},
           {std::string("\x01\x01t\x01\x07\x01p\x00", 8), 0, "series twin index out of range"},
           {std::string("\x01\x01t\x01\x00\x01 \x00", 8), 0, "property name has ' '"},
       }) {
    expect_error(decode_batch(raw_frame(c.payload, c.count)), Errc::invalid_argument, c.expect);
  }
}

}  // namespace
}  // namespace iotwins::dataplane
