// X.509 helpers over OpenSSL 3 for the CA: reading certificates, CSRs and CRLs from PEM,
// describing a certificate, checking one against a CA (X509_verify_cert, optionally with a
// CRL), and the rotation rule for short-lived certificates.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>
#include <openssl/x509.h>

#include "core/result.h"

namespace iotwins::iam {

struct X509Deleter { void operator()(X509* x) const; };
struct X509ReqDeleter { void operator()(X509_REQ* x) const; };
struct X509CrlDeleter { void operator()(X509_CRL* x) const; };
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using X509ReqPtr = std::unique_ptr<X509_REQ, X509ReqDeleter>;
using X509CrlPtr = std::unique_ptr<X509_CRL, X509CrlDeleter>;

inline constexpr size_t kMaxPemBytes = 64 * 1024;

Result<X509Ptr> read_certificate(std::string_view pem);
Result<X509ReqPtr> read_csr(std::string_view pem);
Result<X509CrlPtr> read_crl(std::string_view pem);
Result<std::string> certificate_pem(X509* cert);
// A PKCS#10 request for `key` (the agent's own; only the request leaves the machine), signed
// with it, subject CN = common_name (the CA ignores it and names the node itself).
Result<std::string> make_csr(EVP_PKEY* key, std::string_view common_name);

struct CertInfo {
  std::string serial;       // lower-case hex, no leading zeros
  std::string common_name;
  std::string issuer_common_name;
  int64_t not_before_s = 0;
  int64_t not_after_s = 0;
  bool is_ca = false;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
};
Result<CertInfo> describe_certificate(std::string_view pem);
Result<CertInfo> describe_certificate(X509* cert);

enum class CertPurpose { any, tls_client, tls_server };

// Checks `cert_pem` against the CA at time `now_s`: signature chain, validity period, purpose,
// and — when `crl_pem` is not empty — revocation. The error (unauthenticated) carries
// OpenSSL's reason, e.g. "certificate has expired", "certificate revoked".
Status verify_certificate(std::string_view cert_pem, std::string_view ca_pem, int64_t now_s,
                          CertPurpose purpose = CertPurpose::any, std::string_view crl_pem = {});

// True once two thirds of the certificate's lifetime have passed (or it has expired): a
// 30-day node certificate is renewed after 20 days, leaving 10 to get it done.
bool needs_rotation(const CertInfo& cert, int64_t now_s);

}  // namespace iotwins::iam
