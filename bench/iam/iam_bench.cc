// iam micro-benchmarks: what authenticating a request costs. Anchors: the raw OpenSSL ECDSA
// P-256 sign and verify of the same bytes (the floor any ES256 implementation pays), so the
// ratio is the overhead of parsing, checks and encoding.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>

#include "iam/authorizer.h"
#include "iam/encoding.h"
#include "iam/jws.h"
#include "iam/jwt.h"
#include "iam/password.h"
#include "iam/store.h"

namespace iotwins::iam {
namespace {

constexpr int64_t kNow = 1'700'000'000;

Claims typical_claims() {
  return Claims{.iss = "https://iotwins.example:8443", .sub = "user:alice", .aud = {"iotwins"},
                .exp = kNow + 900, .iat = kNow, .jti = "0123456789abcdef",
                .groups = {"plant-a", "plant-b"}, .roles = {}};
}

struct Env {
  SigningKey key = *SigningKey::generate();
  KeySet keys;
  std::string token;
  std::string rs_token;
  KeySet rs_keys;
  std::shared_ptr<EVP_PKEY> rsa;
  ManualClock clock{kNow * 1'000'000'000};
  Env() {
    (void)keys.add(key.public_key());
    token = *sign_jwt(key, typical_claims());
    rsa.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}), EVP_PKEY_free);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, rsa.get());
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    (void)rs_keys.add(*PublicKey::from_pem(std::string(data, len), "rsa"));
    BIO_free(bio);
    std::string input = base64url_encode(R"({"alg":"RS256","kid":"rsa","typ":"JWT"})") + "." +
                        base64url_encode(claims_to_json(typical_claims()).dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t n = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, rsa.get());
    EVP_DigestSign(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    std::string sig(n, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &n,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    rs_token = input + "." + base64url_encode(sig);
  }
};

Env& env() {
  static Env e;
  return e;
}

void BM_JwtSignEs256(benchmark::State& state) {
  Claims c = typical_claims();
  for (auto _ : state) benchmark::DoNotOptimize(sign_jwt(env().key, c));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JwtSignEs256);

void BM_JwtVerifyEs256(benchmark::State& state) {
  VerifyOptions o{.issuer = "https://iotwins.example:8443", .audience = "iotwins"};
  for (auto _ : state) {
    auto v = verify_jwt(env().token, env().keys, o, env().clock);
    if (!v) state.SkipWithError(v.error().message().c_str());
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JwtVerifyEs256);

void BM_JwtVerifyRs256(benchmark::State& state) {
  VerifyOptions o{.algorithms = {JwsAlg::RS256}, .audience = "iotwins"};
  for (auto _ : state) {
    auto v = verify_jwt(env().rs_token, env().rs_keys, o, env().clock);
    if (!v) state.SkipWithError(v.error().message().c_str());
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JwtVerifyRs256);

// Anchor: one EVP ECDSA P-256/SHA-256 sign of the token's signing input.
void BM_AnchorEcdsaSign(benchmark::State& state) {
  std::string input = env().token.substr(0, env().token.rfind('.'));
  for (auto _ : state) benchmark::DoNotOptimize(jws_sign(env().key, input));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AnchorEcdsaSign);

// Anchor: one EVP ECDSA P-256/SHA-256 verify of the same bytes (DER signature, no JWT work).
void BM_AnchorEcdsaVerify(benchmark::State& state) {
  const std::string& t = env().token;
  std::string input = t.substr(0, t.rfind('.'));
  std::string der = *ecdsa_raw_to_der(*base64url_decode(t.substr(t.rfind('.') + 1), "sig"));
  EVP_PKEY* pkey = env().key.public_key().pkey();
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
    int rc = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                              reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    if (rc != 1) state.SkipWithError("anchor verify failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AnchorEcdsaVerify);

void BM_PasswordHashDefault(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(hash_password("correct horse battery staple"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PasswordHashDefault)->Unit(benchmark::kMillisecond);

void BM_AuthorizerDecide(benchmark::State& state) {
  Principal p{Subject{SubjectKind::user, "alice"}, {"g0", "g1"}, {}};
  for (int i = 0; i < 10; ++i) p.grants.push_back(Grant{Role::viewer, "g" + std::to_string(i), "group:g"});
  p.grants.push_back(Grant{Role::operator_, "g9", "user:alice"});
  for (auto _ : state) benchmark::DoNotOptimize(Authorizer::decide(p, Verb::write, ResourceKind::deployments, "g9"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuthorizerDecide);

// An API token check against SQLite (lookup by id, digest compare; last use kept to the minute).
void BM_ApiTokenAuthenticate(benchmark::State& state) {
  std::string path = std::filesystem::temp_directory_path() / "iam_bench_tokens.db";
  std::filesystem::remove(path);
  auto db = std::move(*storage::open_sqlite(path));
  ManualClock clock;
  auto store = std::move(*IamStore::open(*db, clock, StoreOptions{.password_params = {.log2_n = 10}}));
  (void)store->create_service_account("ci", "");
  auto token = *store->create_api_token(Subject{SubjectKind::service_account, "ci"}, "bench");
  for (auto _ : state) {
    auto s = store->authenticate_api_token(token.secret);
    if (!s) state.SkipWithError(s.error().message().c_str());
  }
  state.SetItemsProcessed(state.iterations());
  std::filesystem::remove(path);
}
BENCHMARK(BM_ApiTokenAuthenticate);

}  // namespace
}  // namespace iotwins::iam

BENCHMARK_MAIN();
