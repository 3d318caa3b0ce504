// libFuzzer target: the JWT parser and verifier, and the JWKS importer, on arbitrary input.
// Input starting with '{' is a JWKS document; anything else is a token. Beyond "no crash":
// no token but the one this harness signed itself may ever verify, and every key imported from
// a JWKS must export to a JWK that imports back to the same key id.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "iam/jwt.h"
#include "iam/keys.h"

using namespace iotwins;
using namespace iotwins::iam;

namespace {

struct Fixture {
  SigningKey key = *SigningKey::generate("fuzz-key");
  KeySet keys;
  std::string valid_token;
  ManualClock clock{int64_t{1'700'000'000} * 1'000'000'000};
  VerifyOptions options;
  Fixture() {
    (void)keys.add(key.public_key());
    options.algorithms = {JwsAlg::ES256, JwsAlg::RS256};
    options.issuer = "https://iotwins.fuzz";
    Claims c{.iss = "https://iotwins.fuzz", .sub = "user:fuzz", .exp = 1'700'000'600, .iat = 1'700'000'000};
    valid_token = *sign_jwt(key, c);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture f;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!input.empty() && input[0] == '{') {
    auto j = nlohmann::json::parse(input, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return 0;
    auto set = KeySet::from_jwks(j);
    if (!set) return 0;
    auto again = KeySet::from_jwks(set->to_jwks());
    if (!again || again->size() != set->size()) std::abort();
    return 0;
  }
  auto decoded = decode_jwt(input, f.options.algorithms);
  auto verified = verify_jwt(input, f.keys, f.options, f.clock);
  if (verified) {
    if (!decoded || input != f.valid_token) std::abort();  // a forged token was accepted
    if (verified->claims.sub != "user:fuzz") std::abort();
  } else if (verified.error().code() != Errc::unauthenticated) {
    std::abort();  // every rejection of a token is unauthenticated
  }
  return 0;
}
