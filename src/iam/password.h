// Password hashing for built-in users: scrypt (memory-hard, OpenSSL 3 EVP_KDF "SCRYPT") in a
// self-describing PHC string, so parameters can be raised later without breaking stored
// hashes:  $scrypt$ln=15,r=8,p=1$<salt, base64>$<hash, base64>
// ln=15, r=8 costs 32 MiB and roughly 0.1 s per hash: the OWASP-recommended floor for scrypt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace iotwins::iam {

struct ScryptParams {
  int log2_n = 15;  // N = 2^ln
  uint32_t r = 8;
  uint32_t p = 1;
  friend bool operator==(const ScryptParams&, const ScryptParams&) = default;
};

// Bounds on inputs: a longer password is refused (an attacker could otherwise make us hash
// megabytes), and stored parameters outside these bounds are treated as corrupt.
inline constexpr size_t kMaxPasswordBytes = 1024;
inline constexpr size_t kMaxPasswordHashBytes = 256;
inline constexpr int kMinLog2N = 10;
inline constexpr int kMaxLog2N = 20;  // 1 GiB with r=8: more is a stored-string attack

// Hashes with a fresh 16-byte salt. Errors: empty or over-long password, parameters out of range.
Result<std::string> hash_password(std::string_view password, const ScryptParams& params = {});

// True when the password matches, false when it does not; an error when `encoded` is not a
// valid hash string (which says what is wrong with it). Compares in constant time.
Result<bool> verify_password(std::string_view password, std::string_view encoded);

// The parameters a stored hash was made with.
Result<ScryptParams> password_hash_params(std::string_view encoded);

// True when the stored hash uses weaker parameters than `current` (or cannot be parsed): the
// caller re-hashes the password after the next successful login.
bool password_needs_rehash(std::string_view encoded, const ScryptParams& current = {});

}  // namespace iotwins::iam
