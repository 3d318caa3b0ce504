#include "iam/encoding.h"

#include <gtest/gtest.h>

namespace iotwins::iam {
namespace {

// RFC 4648 §10 test vectors (base64url differs only in the two last alphabet characters).
TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(*base64url_decode("Zm9vYmE", "x"), "fooba");
  EXPECT_EQ(*base64url_decode("", "x"), "");
}

TEST(Base64, UrlAlphabetAndStandardAlphabet) {
  std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(base64_encode_unpadded(bytes), "+/+/");
  EXPECT_EQ(*base64url_decode("-_-_", "x"), bytes);
  EXPECT_EQ(*base64_decode_unpadded("+/+/", "x"), bytes);
}

TEST(Base64, StrictDecodingRejectsWithWhere) {
  auto padded = base64url_decode("Zg==", "header");
  ASSERT_FALSE(padded);
  EXPECT_EQ(padded.error().code(), Errc::invalid_argument);
  EXPECT_NE(padded.error().message().find("header"), std::string::npos);
  EXPECT_NE(padded.error().message().find("offset 2"), std::string::npos);
  EXPECT_FALSE(base64url_decode("Zm9v+", "x"));   // standard alphabet in url text
  EXPECT_FALSE(base64url_decode("Z", "x"));       // impossible length
  EXPECT_FALSE(base64url_decode("Zh", "x"));      // trailing bits set: not canonical
  EXPECT_FALSE(base64url_decode("Zm 9v", "x"));   // whitespace
  EXPECT_FALSE(base64_decode_unpadded("-_", "x"));
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 7) {
    std::string s = all.substr(0, n);
    EXPECT_EQ(*base64url_decode(base64url_encode(s), "x"), s);
    EXPECT_EQ(*base64_decode_unpadded(base64_encode_unpadded(s), "x"), s);
  }
}

TEST(Digest, Sha256KnownAnswer) {
  EXPECT_EQ(to_hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
}

TEST(Random, BytesDiffer) {
  auto a = random_bytes(32);
  auto b = random_bytes(32);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
}

}  // namespace
}  // namespace iotwins::iam
