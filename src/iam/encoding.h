// Byte encodings and small crypto primitives shared by the iam module: base64 (standard, for
// PHC password strings) and base64url (JWS), secure random bytes, SHA-256, constant-time
// comparison and the OpenSSL error queue as text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace iotwins::iam {

// base64url without padding (RFC 7515 §2).
std::string base64url_encode(std::string_view bytes);
// Strict: only the url-safe alphabet, no padding, no whitespace, and unused trailing bits zero
// (so every byte string has exactly one accepted encoding). `what` names the field in errors.
Result<std::string> base64url_decode(std::string_view text, std::string_view what);

// Standard base64 alphabet without padding (the PHC string format).
std::string base64_encode_unpadded(std::string_view bytes);
Result<std::string> base64_decode_unpadded(std::string_view text, std::string_view what);

// n bytes from the OpenSSL CSPRNG.
Result<std::string> random_bytes(size_t n);
// Raw 32-byte SHA-256 digest.
std::string sha256(std::string_view data);
std::string to_hex(std::string_view bytes);

// Compares in time that depends only on the lengths (CRYPTO_memcmp), for secrets and digests.
bool constant_time_equal(std::string_view a, std::string_view b);

// The OpenSSL error queue of this thread as one line, emptied; "unknown OpenSSL error" if empty.
std::string openssl_error();

}  // namespace iotwins::iam
