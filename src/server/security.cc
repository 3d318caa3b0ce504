#include "server/security.h"

#include <unistd.h>

#include <cstdio>

#include "core/log.h"
#include "iam/secret_file.h"
#include "iam/x509.h"

namespace iotwins::server {
namespace {

auto& logger() {
  static auto& log = log::get("server");
  return log;
}

std::string host_of(std::string_view listen) {
  if (listen.starts_with("[")) {
    auto end = listen.find(']');
    return std::string(listen.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
  }
  auto colon = listen.rfind(':');
  return std::string(colon == std::string_view::npos ? listen : listen.substr(0, colon));
}

bool is_ip_literal(const std::string& host) {
  if (host.find(':') != std::string::npos) return true;
  return !host.empty() && host.find_first_not_of("0123456789.") == std::string::npos;
}

Result<std::string> read_password_file(FileSystem& fs, const std::string& path) {
  IOT_ASSIGN(auto text, fs.read_file(path));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return make_error(Errc::invalid_argument, "--admin-password-file " + path + " is empty");
  return text;
}

}  // namespace

void add_security_config(ConfigSpec& spec) {
  spec.add({.name = "auth", .type = ConfigType::boolean, .default_value = "true",
            .help = "require credentials (a bearer token or a node's client certificate) on every route but "
                    "health, version, metrics, OpenAPI, token issuing and JWKS; --auth=false only for a lab "
                    "server nobody else reaches"});
  spec.add({.name = "admin-password-file",
            .help = "first start: the password of the 'admin' user made then (instead of a random one printed once)"});
  spec.add({.name = "access-token-ttl", .type = ConfigType::duration, .default_value = "15m",
            .help = "lifetime of the access tokens POST /api/v1/auth/token issues"});
  spec.add({.name = "oidc-issuer", .help = "accept tokens of this OpenID Connect provider (its issuer URL)"});
  spec.add({.name = "oidc-audience", .help = "the audience its tokens must carry (required with --oidc-issuer)"});
  spec.add({.name = "oidc-groups-claim", .default_value = "groups",
            .help = "the claim (dotted path) whose names become iotwins groups, e.g. realm_access.roles"});
  spec.add({.name = "oidc-subject-claim", .default_value = "sub",
            .help = "the claim naming the user (sub, preferred_username, email)"});
  spec.add({.name = "oidc-ca-file", .help = "CA certificates that verify the provider (https), when not the system's"});
  spec.add({.name = "tls", .default_value = "auto",
            .help = "auto: HTTPS on a non-loopback --listen, plain HTTP on loopback; on; off. Without --tls-cert "
                    "the certificate comes from the server's CA (<data-dir>/ca)"});
}

Result<std::unique_ptr<Security>> Security::open(const Config& config, FileSystem& fs, storage::Database& db,
                                                 iam::IamStore& store, const std::string& data_dir) {
  std::unique_ptr<Security> s(new Security());
  s->enforced_ = config.boolean("auth");
  IOT_ASSIGN(s->keys_, iam::KeyRing::open(fs, join_path(data_dir, "keys")));
  IOT_ASSIGN(s->audit_, iam::AuditLog::open(db, SystemClock::instance()));
  if (const std::string& issuer = config.str("oidc-issuer"); !issuer.empty()) {
    if (config.str("oidc-audience").empty()) {
      return make_error(Errc::invalid_argument, "--oidc-issuer needs --oidc-audience (the client id its tokens carry)");
    }
    iam::OidcOptions o;
    o.issuer = issuer;
    o.audience = config.str("oidc-audience");
    o.groups_claim = config.str("oidc-groups-claim");
    o.subject_claim = config.str("oidc-subject-claim");
    o.http.ca_file = config.str("oidc-ca-file");
    s->oidc_ = std::make_unique<iam::OidcVerifier>(std::move(o), SystemClock::instance());
  }
  auto ttl = std::chrono::duration_cast<std::chrono::seconds>(config.duration("access-token-ttl"));
  if (ttl.count() < 1) return make_error(Errc::invalid_argument, "--access-token-ttl must be at least 1s");
  s->auth_ = std::make_unique<api::Auth>(store, *s->keys_, *s->audit_, SystemClock::instance(),
                                         api::AuthOptions{.access_ttl = ttl}, s->oidc_.get());

  const std::string& password_file = config.str("admin-password-file");
  std::function<Result<std::string>()> chosen;
  if (!password_file.empty()) chosen = [&fs, &password_file] { return read_password_file(fs, password_file); };
  IOT_ASSIGN(auto admin, store.ensure_admin(chosen));
  if (admin) {
    if (!password_file.empty()) {
      logger().info("first start: created user '{}' with the password in {}", admin->user, password_file);
    } else {
      // Shown once: only its scrypt hash is kept.
      std::fprintf(stderr,
                   "\niotwins server: first start: created user '%s' with password\n\n    %s\n\n"
                   "  It is shown only now. Log in with: iotwins login --server URL --user %s\n\n",
                   admin->user.c_str(), admin->password.c_str(), admin->user.c_str());
      std::fflush(stderr);
    }
    (void)s->audit_->append({"server", "iam.bootstrap", "user:" + admin->user, "", iam::AuditOutcome::ok,
                       password_file.empty() ? "random password shown once" : "password from file"});
  }
  return s;
}

void Security::install(api::Router& router) {
  api::add_auth_routes(router, *auth_);
  api::add_iam_routes(router, *auth_);
  api::add_audit_routes(router, *auth_);
  if (enforced_) router.set_guard(auth_->guard());
}

bool is_loopback_listen(std::string_view listen) {
  std::string host = host_of(listen);
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

Status apply_tls_default(const Config& config, api::ServerOptions& http, iam::CertificateAuthority& ca,
                         FileSystem& fs, const std::string& data_dir) {
  const std::string& mode = config.str("tls");
  if (mode != "auto" && mode != "on" && mode != "off") {
    return make_error(Errc::invalid_argument, "--tls must be auto, on or off (got '" + mode + "')");
  }
  if (!http.tls_cert_file.empty() || mode == "off") return ok();
  if (mode == "auto" && is_loopback_listen(http.listen)) return ok();

  const std::string dir = join_path(data_dir, "tls");
  const std::string cert_path = join_path(dir, "server.crt");
  const std::string key_path = join_path(dir, "server.key");
  int64_t now_s = SystemClock::instance().now_ns() / 1'000'000'000;
  auto have_key = fs.exists(key_path);
  if (auto pem = fs.read_file(cert_path); pem && have_key && *have_key) {
    if (auto info = iam::describe_certificate(*pem); info && !iam::needs_rotation(*info, now_s)) {
      http.tls_cert_file = cert_path;
      http.tls_key_file = key_path;
      return ok();
    }
  }
  std::vector<std::string> dns{"localhost"};
  std::vector<std::string> ips{"127.0.0.1", "::1"};
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) == 0 && name[0] != '\0') dns.emplace_back(name);
  std::string host = host_of(http.listen);
  if (is_ip_literal(host)) {
    if (host != "0.0.0.0" && host != "::" && host != "127.0.0.1" && host != "::1") ips.push_back(host);
  } else if (!host.empty() && host != "localhost" && host != name) {
    dns.push_back(host);
  }
  IOT_ASSIGN(auto issued, ca.issue_server(dns, ips));
  IOT_TRY(iam::make_private_dir(fs, dir));
  IOT_TRY(iam::write_secret_file(fs, key_path, issued.private_key_pem));
  IOT_TRY(fs.write_file_atomic(cert_path, issued.certificate_pem + ca.ca_certificate_pem()));
  logger().info("TLS on {}: a server certificate from the server's CA in {} (clients trust {}/ca/ca.crt)",
                http.listen, dir, data_dir);
  http.tls_cert_file = cert_path;
  http.tls_key_file = key_path;
  return ok();
}

}  // namespace iotwins::server
