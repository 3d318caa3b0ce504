// CertificateAuthority: the server's CA for mTLS between server and agents. On first start it
// creates an EC P-256 self-signed CA valid 10 years; a user's own CA is used instead when its
// ca.crt and ca.key are placed in the directory. It issues server certificates (SAN DNS/IP),
// client certificates for nodes (CN = node id, 30 days), signs agents' CSRs (the agent keeps its
// private key; only the public key is taken from the CSR — never its subject or extensions),
// revokes serials and publishes a CRL.
//
// Files in its directory (0700): ca.crt, ca.key (0600), state.json (next serial, CRL number,
// revoked serials; written atomically before a certificate with a new serial is returned, so
// a serial is never issued twice, even across a crash).
// Thread-safe: one mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/fs.h"
#include "core/result.h"
#include "iam/keys.h"
#include "iam/x509.h"

namespace iotwins::iam {

struct CaOptions {
  std::string common_name = "iotwins CA";
  std::chrono::seconds ca_validity{std::chrono::hours(24 * 3653)};
  std::chrono::seconds client_validity{std::chrono::hours(24 * 30)};
  std::chrono::seconds server_validity{std::chrono::hours(24 * 397)};
  std::chrono::seconds crl_validity{std::chrono::hours(24 * 7)};
  // notBefore is set this far in the past, so a peer whose clock lags slightly accepts it.
  std::chrono::seconds backdate{300};
};

struct IssuedCertificate {
  std::string certificate_pem;
  std::string private_key_pem;  // empty when signed from a CSR
  CertInfo info;
};

class CertificateAuthority {
 public:
  static Result<std::unique_ptr<CertificateAuthority>> open(FileSystem& fs, std::string dir, const Clock& clock,
                                                            CaOptions options = {});

  const std::string& ca_certificate_pem() const { return ca_pem_; }

  // A server certificate with a new key. At least one DNS name or IP address.
  Result<IssuedCertificate> issue_server(const std::vector<std::string>& dns_names,
                                         const std::vector<std::string>& ip_addresses);
  // A client certificate for a node, with a new key (for nodes set up by the server itself).
  Result<IssuedCertificate> issue_client(const std::string& node_id);
  // A client certificate for a node from its CSR: the CSR's signature must verify and its key
  // must be P-256 or RSA ≥ 2048; the subject is CN=node_id whatever the CSR asked for. node_id
  // may be given as a subject, "node:<id>" (what the server issues to nodes that joined).
  Result<IssuedCertificate> sign_csr(std::string_view csr_pem, const std::string& node_id);

  // Revokes a serial (hex, as CertInfo::serial); fine if already revoked.
  Status revoke(const std::string& serial);
  bool is_revoked(const std::string& serial) const;
  // A CRL signed by the CA listing every revoked serial, valid for crl_validity.
  Result<std::string> crl_pem() const;  // numbered: the number grows with every revocation

 private:
  CertificateAuthority(FileSystem& fs, std::string dir, const Clock& clock, CaOptions options)
      : fs_(fs), dir_(std::move(dir)), clock_(clock), options_(std::move(options)) {}
  Status create();
  Status load();
  Status load_state();
  Status save_state_locked();
  Result<IssuedCertificate> issue_locked(EVP_PKEY* subject_key, const std::string& common_name, bool server,
                                         const std::vector<std::string>& dns, const std::vector<std::string>& ips,
                                         std::chrono::seconds validity);

  FileSystem& fs_;
  std::string dir_;
  const Clock& clock_;
  CaOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<EVP_PKEY> ca_key_;
  X509Ptr ca_cert_;
  std::string ca_pem_;
  uint64_t next_serial_ = 2;  // 1 is the CA's own
  uint64_t crl_number_ = 1;
  std::map<std::string, int64_t> revoked_;  // serial -> revocation time (s)
};

}  // namespace iotwins::iam
