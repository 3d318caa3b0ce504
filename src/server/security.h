// The server's security wiring: token signing keys, the audit log, an optional external
// OpenID Connect provider, the first administrator, the guard on the router, and the TLS
// listener default. What each piece does is in src/iam/README.md and docs/security.md.
#pragma once

#include <memory>
#include <string>

#include "api/auth.h"
#include "api/http_server.h"
#include "core/config.h"
#include "core/fs.h"
#include "iam/ca.h"
#include "storage/database.h"

namespace iotwins::server {

// --auth, --admin-password-file, --access-token-ttl, --oidc-*, --tls.
void add_security_config(ConfigSpec& spec);

class Security {
 public:
  // Opens <data-dir>/keys and the audit log, creates the first admin when there is no user
  // (printing its password once on stderr unless --admin-password-file gives it), and builds
  // the OIDC verifier when --oidc-issuer is set. invalid_argument for bad flags (exit 2).
  static Result<std::unique_ptr<Security>> open(const Config& config, FileSystem& fs, storage::Database& db,
                                                iam::IamStore& store, const std::string& data_dir);

  // Adds the auth, IAM and audit routes, and (with --auth) the guard in front of every route.
  void install(api::Router& router);
  api::Auth& auth() { return *auth_; }
  bool enforced() const { return enforced_; }

 private:
  Security() = default;
  std::unique_ptr<iam::KeyRing> keys_;
  std::unique_ptr<iam::AuditLog> audit_;
  std::unique_ptr<iam::OidcVerifier> oidc_;
  std::unique_ptr<api::Auth> auth_;
  bool enforced_ = false;
};

// TLS by default on a non-loopback listen address (--tls auto): when the user gave no
// --tls-cert, a server certificate from our CA for the host's names is kept in
// <data-dir>/tls (renewed when two thirds of its life are gone). --tls on forces it, off
// keeps plain HTTP. Fills http.tls_cert_file / tls_key_file.
Status apply_tls_default(const Config& config, api::ServerOptions& http, iam::CertificateAuthority& ca,
                         FileSystem& fs, const std::string& data_dir);
bool is_loopback_listen(std::string_view listen);

}  // namespace iotwins::server
