#include "wal/format.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "wal/consumers.h"
#include "wal/crc32c.h"

namespace iotwins::wal {
namespace {

TEST(Crc32c, KnownVectorsAndBothImplementationsAgree) {
  // RFC 3720 / iSCSI check values.
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  EXPECT_EQ(crc32c(""), 0u);
  std::string data;
  for (int i = 0; i < 1000; ++i) data += static_cast<char>(i * 7 + 3);
  for (size_t len : {0u, 1u, 7u, 8u, 9u, 63u, 1000u}) {
    std::string_view s = std::string_view(data).substr(0, len);
    EXPECT_EQ(crc32c(s), crc32c_portable(s)) << len;
    // Extending a running CRC equals the CRC of the concatenation.
    EXPECT_EQ(crc32c(s.substr(len / 2), crc32c(s.substr(0, len / 2))), crc32c(s)) << len;
  }
}

TEST(SegmentFormat, NamesSortInLogOrder) {
  EXPECT_EQ(segment_name(1), "00000000000000000001.wal");
  EXPECT_LT(segment_name(99), segment_name(100));
  EXPECT_EQ(parse_segment_name(segment_name(18446744073709551615ull)), 18446744073709551615ull);
  EXPECT_EQ(parse_segment_name("consumers"), std::nullopt);
  EXPECT_EQ(parse_segment_name("0000000000000000000x.wal"), std::nullopt);
  EXPECT_EQ(parse_segment_name("00000000000000000001.tmp"), std::nullopt);
}

TEST(SegmentFormat, HeaderRoundTripAndDamage) {
  std::string h = encode_segment_header(42);
  ASSERT_EQ(h.size(), kSegmentHeaderSize);
  EXPECT_EQ(*decode_segment_header(h), 42u);
  EXPECT_EQ(decode_segment_header(h.substr(0, 10)).error().code(), Errc::corruption);
  std::string bad = h;
  bad[9] ^= 1;
  EXPECT_NE(decode_segment_header(bad).error().message().find("checksum"), std::string::npos);
  bad = h;
  bad[0] = 'X';
  EXPECT_NE(decode_segment_header(bad).error().message().find("magic"), std::string::npos);
}

class ScannerTest : public ::testing::Test {
 protected:
  // Writes the frames to a file and returns a scanner over it.
  std::unique_ptr<FrameScanner> scan(const std::string& bytes, uint64_t first_seq = 1) {
    path_ = fresh_dir() + "/seg";
    EXPECT_TRUE(PosixFileSystem::instance().write_file_atomic(path_, bytes));
    file_ = *PosixFileSystem::instance().open(path_, OpenMode::read);
    return std::make_unique<FrameScanner>(*file_, path_, 0, first_seq, 1024);
  }
  std::string path_;
  std::unique_ptr<File> file_;
};

TEST_F(ScannerTest, ReadsFramesInOrder) {
  std::string bytes;
  encode_frame(bytes, 1, 100, "one");
  encode_frame(bytes, 2, 200, "");
  encode_frame(bytes, 3, 300, std::string(1000, 'z'));
  auto s = scan(bytes);
  auto a = s->next();
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->payload, "one");
  EXPECT_EQ((*a)->ts_ns, 100);
  auto b = s->next();
  ASSERT_TRUE(b && *b);
  EXPECT_EQ((*b)->payload, "");
  EXPECT_EQ((*b)->seq, 2u);
  auto c = s->next();
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->payload.size(), 1000u);
  auto end = s->next();
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);
  EXPECT_EQ(s->offset(), bytes.size());
}

TEST_F(ScannerTest, EveryKindOfDamageIsCorruptionAtTheFrameStart) {
  std::string good;
  encode_frame(good, 1, 1, "first");
  size_t second = good.size();
  std::string two = good;
  encode_frame(two, 2, 2, "second");

  struct Case {
    std::string name;
    std::string bytes;
    std::string expect;
  };
  std::string flipped = two;
  flipped[second + 26] ^= 0x40;
  std::string wrong_seq = good;
  encode_frame(wrong_seq, 7, 2, "second");
  std::string too_long = good;
  encode_frame(too_long, 2, 2, std::string(2000, 'x'));
  std::vector<Case> cases = {
      {"cut header", two.substr(0, second + 10), "header cut short"},
      {"cut payload", two.substr(0, two.size() - 1), "frame cut short"},
      {"flipped bit", flipped, "checksum mismatch"},
      {"wrong seq", wrong_seq, "sequence number 7"},
      {"too long", too_long, "exceeds the record limit"},
      {"zeros", good + std::string(64, '\0'), "checksum mismatch"},
  };
  for (const auto& c : cases) {
    auto s = scan(c.bytes);
    ASSERT_TRUE(s->next()) << c.name;
    auto bad = s->next();
    ASSERT_FALSE(bad) << c.name;
    EXPECT_EQ(bad.error().code(), Errc::corruption) << c.name;
    EXPECT_NE(bad.error().message().find(c.expect), std::string::npos)
        << c.name << ": " << bad.error().message();
    EXPECT_NE(bad.error().message().find("offset " + std::to_string(second)), std::string::npos)
        << c.name;
    EXPECT_EQ(s->offset(), second) << c.name;
  }
}

TEST(Consumers, RoundTripAndValidation) {
  ConsumerOffsets offsets{{"forwarder", 17}, {"tsdb-1", 0}};
  std::string text = encode_consumers(offsets);
  EXPECT_EQ(*decode_consumers(text, "f"), offsets);
  EXPECT_EQ(*decode_consumers(encode_consumers({}), "f"), ConsumerOffsets{});

  EXPECT_TRUE(validate_consumer_name("a.b_c-1"));
  EXPECT_FALSE(validate_consumer_name(""));
  EXPECT_FALSE(validate_consumer_name(std::string(65, 'a')));
  auto bad = validate_consumer_name("a b");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("position 1"), std::string::npos);

  std::string damaged = text;
  damaged[damaged.find("17")] = '8';
  EXPECT_NE(decode_consumers(damaged, "dir/consumers").error().message().find("checksum"),
            std::string::npos);
  EXPECT_EQ(decode_consumers(text.substr(0, text.size() - 5), "f").error().code(),
            Errc::corruption);
  EXPECT_EQ(decode_consumers("garbage", "f").error().code(), Errc::corruption);
}

}  // namespace
}  // namespace iotwins::wal
