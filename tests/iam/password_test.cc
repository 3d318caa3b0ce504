#include "iam/password.h"

#include <gtest/gtest.h>

#include "iam/encoding.h"

namespace iotwins::iam {
namespace {

// Fast parameters for behaviour tests; one test uses the production defaults.
const ScryptParams kFast{.log2_n = 10, .r = 8, .p = 1};

TEST(Password, HashVerifiesAndRejectsOthers) {
  auto hash = hash_password("correct horse", kFast);
  ASSERT_TRUE(hash) << hash.error().to_string();
  EXPECT_TRUE(hash->starts_with("$scrypt$ln=10,r=8,p=1$"));
  EXPECT_EQ(*verify_password("correct horse", *hash), true);
  EXPECT_EQ(*verify_password("correct horsf", *hash), false);
  EXPECT_EQ(*verify_password("", *hash), false);
}

TEST(Password, SaltMakesHashesDiffer) {
  auto a = hash_password("same", kFast);
  auto b = hash_password("same", kFast);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
}

// RFC 7914 §12 vector 3: scrypt("pleaseletmein", "SodiumChloride", N=16384, r=8, p=1). Our
// 32-byte digest is the first half of the RFC's 64-byte output (PBKDF2 blocks are independent).
TEST(Password, VerifiesRfc7914Vector) {
  std::string digest =
      "\x70\x23\xbd\xcb\x3a\xfd\x73\x48\x46\x1c\x06\xcd\x81\xfd\x38\xeb"
      "\xfd\xa8\xfb\xba\x90\x4f\x8e\x3e\xa9\xb5\x43\xf6\x54\x5d\xa1\xf2";
  std::string encoded = "$scrypt$ln=14,r=8,p=1$" + base64_encode_unpadded("SodiumChloride") + "$" +
                        base64_encode_unpadded(digest);
  EXPECT_EQ(*verify_password("pleaseletmein", encoded), true);
  EXPECT_EQ(*verify_password("pleaseletmeout", encoded), false);
}

TEST(Password, DefaultParametersAreMemoryHard) {
  auto hash = hash_password("production strength");
  ASSERT_TRUE(hash) << hash.error().to_string();
  EXPECT_TRUE(hash->starts_with("$scrypt$ln=15,r=8,p=1$"));
  EXPECT_EQ(*verify_password("production strength", *hash), true);
  EXPECT_FALSE(password_needs_rehash(*hash));
}

TEST(Password, UpgradeDetection) {
  auto weak = hash_password("pw", kFast);
  ASSERT_TRUE(weak);
  EXPECT_TRUE(password_needs_rehash(*weak));
  EXPECT_FALSE(password_needs_rehash(*weak, kFast));
  EXPECT_TRUE(password_needs_rehash("garbage"));
  EXPECT_EQ(password_hash_params(*weak)->log2_n, 10);
}

TEST(Password, RefusesBadPasswordsAndParameters) {
  EXPECT_EQ(hash_password("", kFast).error().code(), Errc::invalid_argument);
  std::string huge(kMaxPasswordBytes + 1, 'a');
  auto long_pw = hash_password(huge, kFast);
  ASSERT_FALSE(long_pw);
  EXPECT_NE(long_pw.error().message().find("1024"), std::string::npos);
  EXPECT_FALSE(hash_password("x", {.log2_n = 9}));
  EXPECT_FALSE(hash_password("x", {.log2_n = 21}));
  EXPECT_FALSE(hash_password("x", {.log2_n = 10, .r = 0}));
  EXPECT_FALSE(hash_password("x", {.log2_n = 10, .r = 8, .p = 17}));
}

TEST(Password, MalformedStoredHashesSayWhatIsWrong) {
  auto good = *hash_password("pw", kFast);
  std::string salt_and_hash = good.substr(good.find("$", 8));
  struct Case {
    std::string encoded;
    std::string expect;
  } cases[] = {
      {"$argon2id$v=19$m=65536$x$y", "not a $scrypt$"},
      {"$scrypt$ln=10,r=8$abc", "expected $scrypt$params$salt$hash"},
      {"$scrypt$ln=10,r=8" + salt_and_hash, "needs ln, r and p"},
      {"$scrypt$ln=10,r=8,p=1,ln=11" + salt_and_hash, "repeated parameter 'ln'"},
      {"$scrypt$ln=x,r=8,p=1" + salt_and_hash, "ln is not a number"},
      {"$scrypt$ln=40,r=8,p=1" + salt_and_hash, "ln=40 is outside"},
      {"$scrypt$ln=10,r=8,p=1$!!!$abc", "salt"},
      {"$scrypt$ln=10,r=8,p=1$" + base64_encode_unpadded("saltsalt") + "$" + base64_encode_unpadded("short"),
       "digest must be 32 bytes"},
      {std::string(300, '$'), "longer than 256"},
  };
  for (const auto& c : cases) {
    auto r = verify_password("pw", c.encoded);
    ASSERT_FALSE(r) << c.encoded;
    EXPECT_EQ(r.error().code(), Errc::invalid_argument);
    EXPECT_NE(r.error().message().find(c.expect), std::string::npos) << r.error().message();
  }
}

TEST(Password, OverLongCandidateIsFalseNotError) {
  auto hash = *hash_password("pw", kFast);
  EXPECT_EQ(*verify_password(std::string(1 << 20, 'p'), hash), false);
}

}  // namespace
}  // namespace iotwins::iam
