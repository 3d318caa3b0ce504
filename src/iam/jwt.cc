#include "iam/jwt.h"

#include <algorithm>
#include <cmath>

#include "iam/encoding.h"
#include "iam/jws.h"

namespace iotwins::iam {
namespace {

using Json = nlohmann::json;

std::unexpected<Error> reject(std::string why) {
  return make_error(Errc::unauthenticated, "token rejected: " + why);
}

// nlohmann parses recursively; bound nesting before parsing so a token of brackets cannot
// exhaust the stack.
bool depth_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

Result<Json> parse_object(std::string_view segment, std::string_view what) {
  auto raw = base64url_decode(segment, what);
  if (!raw) return reject(raw.error().message());
  if (!depth_within(*raw, kMaxJsonDepth)) {
    return reject(std::string(what) + " nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  Json j = Json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return reject(std::string(what) + " is not valid JSON");
  if (!j.is_object()) return reject(std::string(what) + " is not a JSON object");
  return j;
}

Result<JwtHeader> parse_header(const Json& h, const std::vector<JwsAlg>& allowed) {
  JwtHeader header;
  auto alg = h.find("alg");
  if (alg == h.end() || !alg->is_string()) return reject("header has no \"alg\" string");
  const auto& name = alg->get_ref<const std::string&>();
  if (name == "none" || name == "None" || name == "NONE") return reject("unsigned tokens (alg none) are refused");
  if (name.starts_with("HS")) return reject("symmetric algorithm " + name + " is refused");
  bool known = false;
  for (JwsAlg a : allowed) {
    if (name == to_string(a)) {
      header.alg = a;
      known = true;
    }
  }
  if (!known) {
    std::string list;
    for (JwsAlg a : allowed) list += (list.empty() ? "" : ", ") + std::string(to_string(a));
    return reject("algorithm \"" + name.substr(0, 32) + "\" is not allowed (allowed: " + list + ")");
  }
  if (h.contains("crit")) return reject("header has \"crit\" extensions, which are not supported");
  if (auto kid = h.find("kid"); kid != h.end()) {
    if (!kid->is_string()) return reject("header \"kid\" is not a string");
    header.kid = kid->get<std::string>();
    if (header.kid.size() > kMaxKidBytes) return reject("header \"kid\" is too long");
  }
  if (auto typ = h.find("typ"); typ != h.end()) {
    if (!typ->is_string()) return reject("header \"typ\" is not a string");
    header.typ = typ->get<std::string>();
    std::string lower = header.typ;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower != "jwt" && lower != "at+jwt" && lower != "application/at+jwt" && lower != "application/jwt") {
      return reject("header \"typ\" " + header.typ.substr(0, 32) + " is not a JWT type");
    }
  }
  return header;
}

Result<int64_t> numeric_date(const Json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end()) return int64_t{0};
  if (!it->is_number()) return reject(std::string("claim \"") + name + "\" is not a number");
  double v = it->get<double>();
  // Up to year ~5138: anything larger is garbage, and bounds keep the cast defined.
  if (!std::isfinite(v) || v < 0 || v > 1e11) return reject(std::string("claim \"") + name + "\" is out of range");
  return static_cast<int64_t>(v);
}

Result<std::string> string_claim(const Json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end()) return std::string();
  if (!it->is_string()) return reject(std::string("claim \"") + name + "\" is not a string");
  return it->get<std::string>();
}

// A string or an array of strings (`aud` may be either; groups and roles are arrays).
Result<std::vector<std::string>> strings_claim(const Json& payload, const char* name) {
  std::vector<std::string> out;
  auto it = payload.find(name);
  if (it == payload.end()) return out;
  if (it->is_string()) {
    out.push_back(it->get<std::string>());
    return out;
  }
  if (!it->is_array()) return reject(std::string("claim \"") + name + "\" is not a string or an array of strings");
  for (const Json& v : *it) {
    if (!v.is_string()) return reject(std::string("claim \"") + name + "\" has a member that is not a string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string describe_time(int64_t s) { return std::to_string(s) + " s since the epoch"; }

}  // namespace

Result<DecodedJwt> decode_jwt(std::string_view token, const std::vector<JwsAlg>& algorithms,
                              size_t max_token_bytes) {
  if (token.empty()) return reject("empty token");
  if (token.size() > max_token_bytes) {
    return reject("token is " + std::to_string(token.size()) + " bytes, over the limit of " +
                  std::to_string(max_token_bytes));
  }
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return reject("not a JWS compact token (needs three dot-separated parts)");
  if (token.find('.', dot2 + 1) != std::string_view::npos) {
    return reject("more than three parts: encrypted tokens (JWE) are not supported");
  }
  std::string_view header_b64 = token.substr(0, dot1);
  std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view sig_b64 = token.substr(dot2 + 1);
  if (header_b64.size() > kMaxHeaderBytes) return reject("header is over " + std::to_string(kMaxHeaderBytes) + " bytes");

  DecodedJwt out;
  IOT_ASSIGN(Json header, parse_object(header_b64, "header"));
  IOT_ASSIGN(out.header, parse_header(header, algorithms));
  if (sig_b64.empty()) return reject("signature is empty (unsigned tokens are refused)");
  IOT_ASSIGN(out.payload, parse_object(payload_b64, "payload"));
  auto sig = base64url_decode(sig_b64, "signature");
  if (!sig) return reject(sig.error().message());
  out.signature = std::move(*sig);
  out.signing_input = std::string(token.substr(0, dot2));
  return out;
}

Result<Claims> claims_from_json(const Json& payload) {
  Claims c;
  IOT_ASSIGN(c.iss, string_claim(payload, "iss"));
  IOT_ASSIGN(c.sub, string_claim(payload, "sub"));
  IOT_ASSIGN(c.jti, string_claim(payload, "jti"));
  IOT_ASSIGN(c.aud, strings_claim(payload, "aud"));
  IOT_ASSIGN(c.exp, numeric_date(payload, "exp"));
  IOT_ASSIGN(c.nbf, numeric_date(payload, "nbf"));
  IOT_ASSIGN(c.iat, numeric_date(payload, "iat"));
  IOT_ASSIGN(c.groups, strings_claim(payload, "groups"));
  IOT_ASSIGN(c.roles, strings_claim(payload, "roles"));
  return c;
}

Json claims_to_json(const Claims& c) {
  Json j = Json::object();
  if (!c.iss.empty()) j["iss"] = c.iss;
  if (!c.sub.empty()) j["sub"] = c.sub;
  if (c.aud.size() == 1) j["aud"] = c.aud[0];
  else if (!c.aud.empty()) j["aud"] = c.aud;
  if (c.exp != 0) j["exp"] = c.exp;
  if (c.nbf != 0) j["nbf"] = c.nbf;
  if (c.iat != 0) j["iat"] = c.iat;
  if (!c.jti.empty()) j["jti"] = c.jti;
  if (!c.groups.empty()) j["groups"] = c.groups;
  if (!c.roles.empty()) j["roles"] = c.roles;
  return j;
}

Result<VerifiedJwt> verify_decoded(DecodedJwt decoded, const PublicKey& key, const VerifyOptions& options,
                                   const Clock& clock) {
  if (key.alg() != decoded.header.alg) {
    return reject("header alg " + std::string(to_string(decoded.header.alg)) + " does not match key \"" +
                  key.kid() + "\" (" + std::string(to_string(key.alg())) + ")");
  }
  if (!jws_verify(key, decoded.signing_input, decoded.signature)) {
    return reject("signature does not verify with key \"" + key.kid() + "\"");
  }
  IOT_ASSIGN(Claims claims, claims_from_json(decoded.payload));
  int64_t now = clock.now_ns() / 1'000'000'000;
  int64_t leeway = options.leeway.count();
  if (claims.exp == 0 && options.require_exp) return reject("no \"exp\" claim (tokens must expire)");
  if (claims.exp != 0 && now >= claims.exp + leeway) {
    return reject("expired at " + describe_time(claims.exp) + " (now " + describe_time(now) + ")");
  }
  if (claims.nbf != 0 && now + leeway < claims.nbf) {
    return reject("not valid before " + describe_time(claims.nbf) + " (now " + describe_time(now) + ")");
  }
  if (claims.iat != 0 && claims.iat > now + leeway) {
    return reject("issued in the future at " + describe_time(claims.iat) + " (now " + describe_time(now) + ")");
  }
  if (!options.issuer.empty() && claims.iss != options.issuer) {
    return reject("issuer \"" + claims.iss.substr(0, 200) + "\" is not the expected \"" + options.issuer + "\"");
  }
  if (!options.audience.empty() &&
      std::find(claims.aud.begin(), claims.aud.end(), options.audience) == claims.aud.end()) {
    return reject("audience does not include \"" + options.audience + "\"");
  }
  return VerifiedJwt{std::move(decoded.header), std::move(claims), std::move(decoded.payload)};
}

Result<VerifiedJwt> verify_jwt(std::string_view token, const KeySet& keys, const VerifyOptions& options,
                               const Clock& clock) {
  IOT_ASSIGN(DecodedJwt decoded, decode_jwt(token, options.algorithms, options.max_token_bytes));
  const PublicKey* key = nullptr;
  if (decoded.header.kid.empty()) {
    key = keys.sole(decoded.header.alg);
    if (key == nullptr) return reject("no \"kid\" in the header and no single key to use instead");
  } else {
    key = keys.find(decoded.header.kid);
    if (key == nullptr) return reject("unknown key id \"" + decoded.header.kid + "\"");
  }
  return verify_decoded(std::move(decoded), *key, options, clock);
}

Result<std::string> sign_jwt(const SigningKey& key, const Claims& claims, const Json& extra,
                             std::string_view typ) {
  Json payload = claims_to_json(claims);
  if (!extra.is_null() && !extra.is_object()) {
    return make_error(Errc::invalid_argument, "extra claims must be a JSON object");
  }
  if (extra.is_object()) {
    for (const auto& [name, value] : extra.items()) {
      if (payload.contains(name) || name == "iss" || name == "sub" || name == "aud" || name == "exp" ||
          name == "nbf" || name == "iat" || name == "jti" || name == "groups" || name == "roles") {
        return make_error(Errc::invalid_argument, "extra claim \"" + name + "\" repeats a registered claim");
      }
      payload[name] = value;
    }
  }
  Json header = {{"alg", "ES256"}, {"kid", key.kid()}, {"typ", std::string(typ)}};
  std::string input;
  try {
    input = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  } catch (const Json::exception& e) {
    return make_error(Errc::invalid_argument, std::string("claims cannot be encoded: ") + e.what());
  }
  IOT_ASSIGN(std::string sig, jws_sign(key, input));
  std::string token = input + "." + base64url_encode(sig);
  if (token.size() > kMaxTokenBytes) {
    return make_error(Errc::too_large, "signed token would be " + std::to_string(token.size()) +
                                           " bytes, over the limit of " + std::to_string(kMaxTokenBytes));
  }
  return token;
}

}  // namespace iotwins::iam
