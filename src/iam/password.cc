#include "iam/password.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <charconv>
#include <memory>
#include <vector>

#include "iam/encoding.h"

namespace iotwins::iam {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr std::string_view kPrefix = "$scrypt$";

struct Parsed {
  ScryptParams params;
  std::string salt;
  std::string hash;
};

Status check_params(const ScryptParams& p) {
  if (p.log2_n < kMinLog2N || p.log2_n > kMaxLog2N) {
    return make_error(Errc::invalid_argument, "scrypt ln=" + std::to_string(p.log2_n) +
                                                  " is outside " + std::to_string(kMinLog2N) +
                                                  ".." + std::to_string(kMaxLog2N));
  }
  if (p.r < 1 || p.r > 32) {
    return make_error(Errc::invalid_argument, "scrypt r=" + std::to_string(p.r) + " is outside 1..32");
  }
  if (p.p < 1 || p.p > 16) {
    return make_error(Errc::invalid_argument, "scrypt p=" + std::to_string(p.p) + " is outside 1..16");
  }
  return ok();
}

Status check_password(std::string_view password) {
  if (password.empty()) return make_error(Errc::invalid_argument, "password is empty");
  if (password.size() > kMaxPasswordBytes) {
    return make_error(Errc::invalid_argument, "password is longer than " +
                                                  std::to_string(kMaxPasswordBytes) + " bytes");
  }
  return ok();
}

Result<std::string> scrypt(std::string_view password, std::string_view salt, const ScryptParams& p) {
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr),
                                                         EVP_KDF_free);
  if (!kdf) return make_error(Errc::unsupported, "scrypt is not available: " + openssl_error());
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()),
                                                                 EVP_KDF_CTX_free);
  if (!ctx) return make_error(Errc::internal, "scrypt context: " + openssl_error());
  uint64_t n = uint64_t{1} << p.log2_n;
  uint32_t r = p.r;
  uint32_t par = p.p;
  // scrypt needs 128 * N * r bytes (plus p blocks); OpenSSL refuses above maxmem, 32 MiB by default.
  uint64_t maxmem = 128 * n * r + 128 * uint64_t{r} * par + (uint64_t{1} << 20);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()),
                                        password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end(),
  };
  std::string out(kHashBytes, '\0');
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), out.size(), params) != 1) {
    return make_error(Errc::internal, "scrypt: " + openssl_error());
  }
  return out;
}

Result<int64_t> parse_number(std::string_view text, std::string_view name) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return make_error(Errc::invalid_argument, "password hash: " + std::string(name) + " is not a number");
  }
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

Result<Parsed> parse(std::string_view encoded) {
  if (encoded.size() > kMaxPasswordHashBytes) {
    return make_error(Errc::invalid_argument, "password hash is longer than " +
                                                  std::to_string(kMaxPasswordHashBytes) + " bytes");
  }
  if (!encoded.starts_with(kPrefix)) {
    return make_error(Errc::invalid_argument, "password hash: not a $scrypt$ string");
  }
  auto parts = split(encoded.substr(kPrefix.size()), '$');
  if (parts.size() != 3) {
    return make_error(Errc::invalid_argument, "password hash: expected $scrypt$params$salt$hash");
  }
  Parsed out;
  bool seen_ln = false, seen_r = false, seen_p = false;
  for (std::string_view kv : split(parts[0], ',')) {
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) {
      return make_error(Errc::invalid_argument, "password hash: parameter '" + std::string(kv) + "' has no '='");
    }
    std::string_view key = kv.substr(0, eq);
    IOT_ASSIGN(int64_t v, parse_number(kv.substr(eq + 1), key));
    if (v < 0 || v > 1'000'000) {
      return make_error(Errc::invalid_argument, "password hash: " + std::string(key) + " out of range");
    }
    if (key == "ln" && !seen_ln) {
      out.params.log2_n = static_cast<int>(v), seen_ln = true;
    } else if (key == "r" && !seen_r) {
      out.params.r = static_cast<uint32_t>(v), seen_r = true;
    } else if (key == "p" && !seen_p) {
      out.params.p = static_cast<uint32_t>(v), seen_p = true;
    } else {
      return make_error(Errc::invalid_argument, "password hash: unknown or repeated parameter '" +
                                                    std::string(key) + "'");
    }
  }
  if (!seen_ln || !seen_r || !seen_p) {
    return make_error(Errc::invalid_argument, "password hash: needs ln, r and p");
  }
  if (auto st = check_params(out.params); !st) return std::unexpected(std::move(st.error()).context("password hash"));
  IOT_ASSIGN(out.salt, base64_decode_unpadded(parts[1], "password hash salt"));
  IOT_ASSIGN(out.hash, base64_decode_unpadded(parts[2], "password hash digest"));
  if (out.salt.size() < 8 || out.salt.size() > 64) {
    return make_error(Errc::invalid_argument, "password hash: salt must be 8..64 bytes");
  }
  if (out.hash.size() != kHashBytes) {
    return make_error(Errc::invalid_argument, "password hash: digest must be " +
                                                  std::to_string(kHashBytes) + " bytes");
  }
  return out;
}

}  // namespace

Result<std::string> hash_password(std::string_view password, const ScryptParams& params) {
  IOT_TRY(check_password(password));
  IOT_TRY(check_params(params));
  IOT_ASSIGN(std::string salt, random_bytes(kSaltBytes));
  IOT_ASSIGN(std::string hash, scrypt(password, salt, params));
  return std::string(kPrefix) + "ln=" + std::to_string(params.log2_n) + ",r=" +
         std::to_string(params.r) + ",p=" + std::to_string(params.p) + "$" +
         base64_encode_unpadded(salt) + "$" + base64_encode_unpadded(hash);
}

Result<bool> verify_password(std::string_view password, std::string_view encoded) {
  IOT_ASSIGN(Parsed parsed, parse(encoded));
  // An over-long password cannot match (hash_password refuses them); answering false without
  // hashing keeps a megabyte "password" from costing a megabyte of scrypt input.
  if (password.empty() || password.size() > kMaxPasswordBytes) return false;
  IOT_ASSIGN(std::string hash, scrypt(password, parsed.salt, parsed.params));
  return constant_time_equal(hash, parsed.hash);
}

Result<ScryptParams> password_hash_params(std::string_view encoded) {
  IOT_ASSIGN(Parsed parsed, parse(encoded));
  return parsed.params;
}

bool password_needs_rehash(std::string_view encoded, const ScryptParams& current) {
  auto params = password_hash_params(encoded);
  if (!params) return true;
  return params->log2_n < current.log2_n || params->r < current.r || params->p < current.p;
}

}  // namespace iotwins::iam
