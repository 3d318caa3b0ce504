#include "iam/oidc.h"

#include "core/log.h"
#include "iam/model.h"

namespace iotwins::iam {
namespace {

using Json = nlohmann::json;

spdlog::logger& logger() {
  static auto& log = log::get("iam");
  return log;
}

int64_t to_ns(std::chrono::seconds s) { return std::chrono::duration_cast<std::chrono::nanoseconds>(s).count(); }

// "realm_access.roles" -> payload["realm_access"]["roles"]; nullptr when absent.
const Json* claim_at(const Json& payload, const std::string& path) {
  const Json* node = &payload;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node;
}

}  // namespace

OidcVerifier::OidcVerifier(OidcOptions options, const Clock& clock) : options_(std::move(options)), clock_(clock) {
  options_.http.max_response_bytes = options_.max_document_bytes;
  options_.http.bearer_token.clear();
  while (!options_.issuer.empty() && options_.issuer.back() == '/') options_.issuer.pop_back();
}

Result<Json> OidcVerifier::fetch_json_locked(const std::string& url, std::string_view what) {
  IOT_ASSIGN(api::Url parsed, api::parse_url(url));
  std::string origin = std::string(parsed.tls ? "https://" : "http://") +
                       (parsed.host.find(':') != std::string::npos ? "[" + parsed.host + "]" : parsed.host) + ":" +
                       std::to_string(parsed.port);
  IOT_ASSIGN(auto client, api::HttpClient::create(origin, options_.http));
  auto response = client->request(api::Method::GET, parsed.base_path.empty() ? "/" : parsed.base_path, "", "",
                                  {{"Accept", "application/json"}});
  if (!response) return std::unexpected(std::move(response.error()).context("fetch " + std::string(what) + " " + url));
  if (!response->ok()) {
    return make_error(Errc::unavailable, "fetch " + std::string(what) + " " + url + ": HTTP " +
                                             std::to_string(response->status));
  }
  Json j = Json::parse(response->body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return make_error(Errc::unavailable, std::string(what) + " at " + url + " is not a JSON object");
  }
  return j;
}

Status OidcVerifier::discover_locked() {
  if (!jwks_uri_.empty()) return ok();
  int64_t now = clock_.steady_ns();
  if (discovery_error_ && now - discovery_attempt_ns_ < to_ns(options_.min_refresh_interval)) {
    return std::unexpected(*discovery_error_);
  }
  discovery_attempt_ns_ = now;
  discovery_error_.reset();
  auto st = discover_now_locked();
  if (!st) discovery_error_ = st.error();
  return st;
}

Status OidcVerifier::discover_now_locked() {
  std::string url = options_.issuer + "/.well-known/openid-configuration";
  ++stats_.discovery_fetches;
  IOT_ASSIGN(Json doc, fetch_json_locked(url, "OpenID configuration"));
  auto issuer = doc.find("issuer");
  if (issuer == doc.end() || !issuer->is_string() || *issuer != options_.issuer) {
    return make_error(Errc::unavailable, "OpenID configuration at " + url + " names issuer " +
                                             (issuer != doc.end() ? issuer->dump() : std::string("(none)")) +
                                             ", not " + options_.issuer);
  }
  auto jwks = doc.find("jwks_uri");
  if (jwks == doc.end() || !jwks->is_string()) {
    return make_error(Errc::unavailable, "OpenID configuration at " + url + " has no jwks_uri");
  }
  std::string uri = jwks->get<std::string>();
  // Keys must come over TLS unless the issuer itself is plain HTTP (a loopback test provider).
  if (!uri.starts_with("https://") && !(options_.issuer.starts_with("http://") && uri.starts_with("http://"))) {
    return make_error(Errc::unavailable, "jwks_uri " + uri + " is not https");
  }
  jwks_uri_ = std::move(uri);
  logger().info("OpenID provider {}: keys at {}", options_.issuer, jwks_uri_);
  return ok();
}

Status OidcVerifier::fetch_jwks_locked() {
  keys_fetched_ns_ = clock_.steady_ns();
  fetched_once_ = true;
  ++stats_.jwks_fetches;
  IOT_ASSIGN(Json doc, fetch_json_locked(jwks_uri_, "JWKS"));
  auto set = KeySet::from_jwks(doc);
  if (!set) return std::unexpected(std::move(set.error()).context("JWKS at " + jwks_uri_));
  logger().info("OpenID provider {}: {} signing keys", options_.issuer, set->size());
  keys_ = std::move(*set);
  return ok();
}

Status OidcVerifier::refresh() {
  std::lock_guard lock(mu_);
  IOT_TRY(discover_locked());
  return fetch_jwks_locked();
}

const PublicKey* OidcVerifier::find_key_locked(const DecodedJwt& decoded) const {
  if (!keys_) return nullptr;
  return decoded.header.kid.empty() ? keys_->sole(decoded.header.alg) : keys_->find(decoded.header.kid);
}

OidcVerifier::Stats OidcVerifier::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

Result<ExternalIdentity> OidcVerifier::verify(std::string_view token) {
  VerifyOptions vo;
  vo.algorithms = {JwsAlg::ES256, JwsAlg::RS256};
  vo.issuer = options_.issuer;
  vo.audience = options_.audience;
  vo.leeway = options_.leeway;
  IOT_ASSIGN(DecodedJwt decoded, decode_jwt(token, vo.algorithms, vo.max_token_bytes));

  std::optional<PublicKey> key;
  {
    std::lock_guard lock(mu_);
    auto st = discover_locked();
    if (!st) return std::unexpected(std::move(st.error()).context("OpenID provider " + options_.issuer));
    int64_t now = clock_.steady_ns();
    bool stale = !fetched_once_ || now - keys_fetched_ns_ >= to_ns(options_.jwks_cache_ttl);
    bool may_refresh = !fetched_once_ || now - keys_fetched_ns_ >= to_ns(options_.min_refresh_interval);
    const PublicKey* found = stale ? nullptr : find_key_locked(decoded);
    if (found == nullptr && may_refresh) {
      auto fetched = fetch_jwks_locked();
      if (!fetched) {
        // Keep verifying with the keys we have while the provider is away.
        logger().warn("OpenID provider {}: {}", options_.issuer, fetched.error().message());
        if (!keys_) return std::unexpected(std::move(fetched.error()));
      }
      found = find_key_locked(decoded);
    } else if (found == nullptr && stale) {
      found = find_key_locked(decoded);
    }
    if (found == nullptr) {
      return make_error(Errc::unauthenticated,
                        "token rejected: " +
                            (decoded.header.kid.empty() ? std::string("no kid and no single key of the provider")
                                                        : "unknown key id \"" + decoded.header.kid + "\"") +
                            " for issuer " + options_.issuer);
    }
    key = *found;
  }
  IOT_ASSIGN(VerifiedJwt verified, verify_decoded(std::move(decoded), *key, vo, clock_));

  ExternalIdentity id;
  const Json* subject = claim_at(verified.payload, options_.subject_claim);
  if (subject == nullptr || !subject->is_string() || subject->get_ref<const std::string&>().empty()) {
    return make_error(Errc::unauthenticated, "token rejected: no string claim \"" + options_.subject_claim + "\"");
  }
  id.subject = subject->get<std::string>();
  if (auto st = validate_name(id.subject, "subject"); !st) {
    return make_error(Errc::unauthenticated, "token rejected: claim \"" + options_.subject_claim +
                                                 "\" is not usable as a user name: " + st.error().message());
  }
  if (const Json* groups = claim_at(verified.payload, options_.groups_claim)) {
    std::vector<const Json*> values;
    if (groups->is_array()) {
      for (const Json& g : *groups) values.push_back(&g);
    } else {
      values.push_back(groups);
    }
    for (const Json* g : values) {
      if (!g->is_string()) continue;
      std::string name = g->get<std::string>();
      if (name.starts_with('/')) name.erase(0, 1);
      if (!validate_name(name, "group")) {
        logger().debug("OpenID token for {}: group \"{}\" is not a valid group name; ignored", id.subject, name);
        continue;
      }
      id.groups.push_back(std::move(name));
    }
  }
  id.token = std::move(verified);
  return id;
}

}  // namespace iotwins::iam
