#include "iam/jws.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>

#include "iam/encoding.h"

namespace iotwins::iam {
namespace {

constexpr int kCoordBytes = 32;
using SigPtr = std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

Result<std::string> ecdsa_der_to_raw(std::string_view der) {
  const unsigned char* p = bytes(der);
  SigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())), ECDSA_SIG_free);
  if (!sig || p != bytes(der) + der.size()) {
    return make_error(Errc::invalid_argument, "not a DER ECDSA signature");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * kCoordBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kCoordBytes) != kCoordBytes ||
      BN_bn2binpad(s, out + kCoordBytes, kCoordBytes) != kCoordBytes) {
    return make_error(Errc::invalid_argument, "ECDSA signature values do not fit P-256");
  }
  return raw;
}

Result<std::string> ecdsa_raw_to_der(std::string_view raw) {
  if (raw.size() != 2 * kCoordBytes) {
    return make_error(Errc::invalid_argument, "an ES256 signature is 64 bytes, not " + std::to_string(raw.size()));
  }
  BIGNUM* r = BN_bin2bn(bytes(raw), kCoordBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes(raw) + kCoordBytes, kCoordBytes, nullptr);
  SigPtr sig(ECDSA_SIG_new(), ECDSA_SIG_free);
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return make_error(Errc::internal, "build ECDSA signature: " + openssl_error());
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return make_error(Errc::internal, "encode ECDSA signature");
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

Result<std::string> jws_sign(const SigningKey& key, std::string_view input) {
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.pkey()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, bytes(input), input.size()) != 1) {
    return make_error(Errc::internal, "ES256 sign: " + openssl_error());
  }
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len, bytes(input),
                     input.size()) != 1) {
    return make_error(Errc::internal, "ES256 sign: " + openssl_error());
  }
  der.resize(len);
  return ecdsa_der_to_raw(der);
}

bool jws_verify(const PublicKey& key, std::string_view input, std::string_view signature) {
  std::string der;
  std::string_view sig = signature;
  if (key.alg() == JwsAlg::ES256) {
    auto converted = ecdsa_raw_to_der(signature);
    if (!converted) return false;
    der = std::move(*converted);
    sig = der;
  } else if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(key.pkey()))) {
    return false;  // RS256 signatures are exactly the modulus length
  }
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool valid = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.pkey()) == 1 &&
               EVP_DigestVerify(ctx.get(), bytes(sig), sig.size(), bytes(input), input.size()) == 1;
  if (!valid) openssl_error();  // drop the queued reasons: a bad signature is an answer, not a fault
  return valid;
}

}  // namespace iotwins::iam
