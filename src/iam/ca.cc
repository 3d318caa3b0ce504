#include "iam/ca.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "iam/encoding.h"
#include "iam/model.h"
#include "iam/secret_file.h"

namespace iotwins::iam {
namespace {

using Json = nlohmann::json;
using AsnTimePtr = std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)>;

spdlog::logger& logger() {
  static auto& log = log::get("iam");
  return log;
}

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* p) { return std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free); }

Status add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return make_error(Errc::internal, "certificate extension " + value + ": " + openssl_error());
  int rc = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (rc != 1) return make_error(Errc::internal, "add certificate extension: " + openssl_error());
  return ok();
}

Status set_serial(X509* cert, uint64_t serial) {
  BIGNUM* bn = BN_new();
  BN_set_word(bn, serial);
  ASN1_INTEGER* ai = BN_to_ASN1_INTEGER(bn, nullptr);
  BN_free(bn);
  if (ai == nullptr) return make_error(Errc::internal, "certificate serial");
  int rc = X509_set_serialNumber(cert, ai);
  ASN1_INTEGER_free(ai);
  if (rc != 1) return make_error(Errc::internal, "certificate serial: " + openssl_error());
  return ok();
}

Status set_subject_cn(X509* cert, const std::string& cn) {
  X509_NAME* name = X509_get_subject_name(cert);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                                 -1, 0) != 1) {
    return make_error(Errc::invalid_argument, "certificate common name: " + openssl_error());
  }
  return ok();
}

std::string key_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Status check_dns_name(const std::string& name) {
  if (name.empty() || name.size() > 253) return make_error(Errc::invalid_argument, "DNS name must be 1 to 253 characters");
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
               (c == '*' && i == 0);
    if (!okc) {
      return make_error(Errc::invalid_argument, "DNS name \"" + name.substr(0, 64) + "\" has a character not allowed at offset " +
                                                    std::to_string(i));
    }
  }
  return ok();
}

Status check_ip(const std::string& ip) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1) return ok();
  return make_error(Errc::invalid_argument, "\"" + ip.substr(0, 64) + "\" is not an IP address");
}

Status check_subject_key(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    size_t len = 0;
    EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &len);
    if (std::string_view(group, len) != "prime256v1") {
      return make_error(Errc::invalid_argument, "CSR key: EC keys must be on P-256, not " + std::string(group, len));
    }
    return ok();
  }
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < kMinRsaBits) {
      return make_error(Errc::invalid_argument, "CSR key: RSA keys need at least " + std::to_string(kMinRsaBits) + " bits");
    }
    return ok();
  }
  return make_error(Errc::invalid_argument, "CSR key: only EC P-256 and RSA keys are accepted");
}

}  // namespace

Result<std::unique_ptr<CertificateAuthority>> CertificateAuthority::open(FileSystem& fs, std::string dir,
                                                                         const Clock& clock, CaOptions options) {
  std::unique_ptr<CertificateAuthority> ca(new CertificateAuthority(fs, std::move(dir), clock, std::move(options)));
  IOT_TRY(make_private_dir(fs, ca->dir_));
  IOT_ASSIGN(bool have_cert, fs.exists(join_path(ca->dir_, "ca.crt")));
  IOT_ASSIGN(bool have_key, fs.exists(join_path(ca->dir_, "ca.key")));
  if (have_cert != have_key) {
    return make_error(Errc::invalid_argument, "CA directory " + ca->dir_ + " has " +
                                                  (have_cert ? "ca.crt but no ca.key" : "ca.key but no ca.crt"));
  }
  if (have_cert) {
    IOT_TRY(ca->load());
  } else {
    IOT_TRY(ca->create());
  }
  return ca;
}

Status CertificateAuthority::create() {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (raw == nullptr) return make_error(Errc::internal, "generate CA key: " + openssl_error());
  ca_key_ = own(raw);
  X509Ptr cert(X509_new());
  int64_t now = clock_.now_ns() / 1'000'000'000;
  X509_set_version(cert.get(), 2);
  IOT_TRY(set_serial(cert.get(), 1));
  IOT_TRY(set_subject_cn(cert.get(), options_.common_name));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(now - options_.backdate.count()));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(now + options_.ca_validity.count()));
  X509_set_pubkey(cert.get(), ca_key_.get());
  IOT_TRY(add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  IOT_TRY(add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  IOT_TRY(add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  IOT_TRY(add_ext(cert.get(), cert.get(), NID_authority_key_identifier, "keyid:always"));
  if (X509_sign(cert.get(), ca_key_.get(), EVP_sha256()) == 0) return make_error(Errc::internal, "sign CA: " + openssl_error());
  IOT_ASSIGN(ca_pem_, certificate_pem(cert.get()));
  ca_cert_ = std::move(cert);
  // Key first: a crash between the two leaves a key without a certificate, which open() reports.
  IOT_TRY(write_secret_file(fs_, join_path(dir_, "ca.key"), key_pem(ca_key_.get())));
  IOT_TRY(fs_.write_file_atomic(join_path(dir_, "ca.crt"), ca_pem_));
  IOT_TRY(save_state_locked());
  logger().info("created a certificate authority \"{}\" in {}", options_.common_name, dir_);
  return ok();
}

Status CertificateAuthority::load() {
  IOT_ASSIGN(ca_pem_, fs_.read_file(join_path(dir_, "ca.crt")));
  IOT_ASSIGN(std::string key, fs_.read_file(join_path(dir_, "ca.key")));
  auto cert = read_certificate(ca_pem_);
  if (!cert) return std::unexpected(std::move(cert.error()).context("CA certificate " + join_path(dir_, "ca.crt")));
  ca_cert_ = std::move(*cert);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(key.data(), static_cast<int>(key.size())), BIO_free);
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) return make_error(Errc::invalid_argument, "CA key " + join_path(dir_, "ca.key") + " is not a PEM private key");
  ca_key_ = own(raw);
  if (X509_check_private_key(ca_cert_.get(), ca_key_.get()) != 1) {
    openssl_error();
    return make_error(Errc::invalid_argument, "CA key in " + dir_ + " does not match ca.crt");
  }
  if (X509_check_ca(ca_cert_.get()) == 0) {
    return make_error(Errc::invalid_argument, "ca.crt in " + dir_ + " is not a CA certificate (basicConstraints CA:TRUE)");
  }
  return load_state();
}

Status CertificateAuthority::load_state() {
  std::string path = join_path(dir_, "state.json");
  IOT_ASSIGN(bool exists, fs_.exists(path));
  if (!exists) {
    // A CA brought by the user may have issued low serials elsewhere: start at a random point.
    IOT_ASSIGN(std::string r, random_bytes(6));
    next_serial_ = 0x1000000;
    for (unsigned char c : r) next_serial_ = (next_serial_ << 8) | c;
    return save_state_locked();
  }
  IOT_ASSIGN(std::string text, fs_.read_file(path));
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j["next_serial"].is_number_unsigned() ||
      !j["crl_number"].is_number_unsigned() || !j["revoked"].is_object()) {
    return make_error(Errc::corruption, "CA state " + path + " is malformed");
  }
  next_serial_ = j["next_serial"].get<uint64_t>();
  crl_number_ = j["crl_number"].get<uint64_t>();
  for (const auto& [serial, ts] : j["revoked"].items()) {
    if (!ts.is_number_integer()) return make_error(Errc::corruption, "CA state " + path + ": revoked " + serial);
    revoked_[serial] = ts.get<int64_t>();
  }
  return ok();
}

Status CertificateAuthority::save_state_locked() {
  Json j = {{"next_serial", next_serial_}, {"crl_number", crl_number_}, {"revoked", Json::object()}};
  for (const auto& [serial, ts] : revoked_) j["revoked"][serial] = ts;
  return fs_.write_file_atomic(join_path(dir_, "state.json"), j.dump(1));
}

Result<IssuedCertificate> CertificateAuthority::issue_locked(EVP_PKEY* subject_key, const std::string& common_name,
                                                             bool server, const std::vector<std::string>& dns,
                                                             const std::vector<std::string>& ips,
                                                             std::chrono::seconds validity) {
  uint64_t serial = next_serial_++;
  // Persist the counter before the certificate exists anywhere: a serial is never reused.
  IOT_TRY(save_state_locked());
  X509Ptr cert(X509_new());
  int64_t now = clock_.now_ns() / 1'000'000'000;
  X509_set_version(cert.get(), 2);
  IOT_TRY(set_serial(cert.get(), serial));
  IOT_TRY(set_subject_cn(cert.get(), common_name));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert_.get()));
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(now - options_.backdate.count()));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(now + validity.count()));
  X509_set_pubkey(cert.get(), subject_key);
  IOT_TRY(add_ext(cert.get(), ca_cert_.get(), NID_basic_constraints, "critical,CA:FALSE"));
  IOT_TRY(add_ext(cert.get(), ca_cert_.get(), NID_key_usage,
                  EVP_PKEY_is_a(subject_key, "RSA") ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"));
  IOT_TRY(add_ext(cert.get(), ca_cert_.get(), NID_ext_key_usage, server ? "serverAuth" : "clientAuth"));
  IOT_TRY(add_ext(cert.get(), ca_cert_.get(), NID_subject_key_identifier, "hash"));
  IOT_TRY(add_ext(cert.get(), ca_cert_.get(), NID_authority_key_identifier, "keyid"));
  std::string san;
  for (const auto& d : dns) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : ips) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  if (!san.empty()) IOT_TRY(add_ext(cert.get(), ca_cert_.get(), NID_subject_alt_name, san));
  if (X509_sign(cert.get(), ca_key_.get(), EVP_sha256()) == 0) {
    return make_error(Errc::internal, "sign certificate: " + openssl_error());
  }
  IssuedCertificate out;
  IOT_ASSIGN(out.certificate_pem, certificate_pem(cert.get()));
  IOT_ASSIGN(out.info, describe_certificate(cert.get()));
  logger().info("issued {} certificate {} for {} (serial {})", server ? "server" : "client", out.info.serial,
                common_name, out.info.serial);
  return out;
}

Result<IssuedCertificate> CertificateAuthority::issue_server(const std::vector<std::string>& dns_names,
                                                             const std::vector<std::string>& ip_addresses) {
  if (dns_names.empty() && ip_addresses.empty()) {
    return make_error(Errc::invalid_argument, "a server certificate needs at least one DNS name or IP address");
  }
  for (const auto& d : dns_names) IOT_TRY(check_dns_name(d));
  for (const auto& ip : ip_addresses) IOT_TRY(check_ip(ip));
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (raw == nullptr) return make_error(Errc::internal, "generate key: " + openssl_error());
  auto key = own(raw);
  std::lock_guard lock(mu_);
  std::string cn = dns_names.empty() ? ip_addresses[0] : dns_names[0];
  IOT_ASSIGN(auto out, issue_locked(key.get(), cn, true, dns_names, ip_addresses, options_.server_validity));
  out.private_key_pem = key_pem(key.get());
  return out;
}

// A client certificate's CN: a node id, optionally as its subject ("node:<id>", what the server's
// nodes get, so the CN is the subject the API maps to a principal).
static Status validate_client_cn(std::string_view cn) {
  if (cn.starts_with("node:")) cn.remove_prefix(5);
  return validate_name(cn, "node id");
}

Result<IssuedCertificate> CertificateAuthority::issue_client(const std::string& node_id) {
  IOT_TRY(validate_client_cn(node_id));
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (raw == nullptr) return make_error(Errc::internal, "generate key: " + openssl_error());
  auto key = own(raw);
  std::lock_guard lock(mu_);
  IOT_ASSIGN(auto out, issue_locked(key.get(), node_id, false, {}, {}, options_.client_validity));
  out.private_key_pem = key_pem(key.get());
  return out;
}

Result<IssuedCertificate> CertificateAuthority::sign_csr(std::string_view csr_pem, const std::string& node_id) {
  IOT_TRY(validate_client_cn(node_id));
  IOT_ASSIGN(auto csr, read_csr(csr_pem));
  EVP_PKEY* raw = X509_REQ_get_pubkey(csr.get());
  if (raw == nullptr) return make_error(Errc::invalid_argument, "CSR has no usable public key: " + openssl_error());
  auto key = own(raw);
  IOT_TRY(check_subject_key(key.get()));
  if (X509_REQ_verify(csr.get(), key.get()) != 1) {
    openssl_error();
    return make_error(Errc::invalid_argument, "CSR signature does not verify: the requester does not hold the key");
  }
  std::lock_guard lock(mu_);
  return issue_locked(key.get(), node_id, false, {}, {}, options_.client_validity);
}

Status CertificateAuthority::revoke(const std::string& serial) {
  if (serial.empty() || serial.size() > 40 || serial.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return make_error(Errc::invalid_argument, "serial \"" + serial.substr(0, 48) + "\" is not lower-case hex");
  }
  std::lock_guard lock(mu_);
  if (revoked_.contains(serial)) return ok();
  revoked_[serial] = clock_.now_ns() / 1'000'000'000;
  ++crl_number_;
  IOT_TRY(save_state_locked());
  logger().info("revoked certificate serial {}", serial);
  return ok();
}

bool CertificateAuthority::is_revoked(const std::string& serial) const {
  std::lock_guard lock(mu_);
  return revoked_.contains(serial);
}

Result<std::string> CertificateAuthority::crl_pem() const {
  std::lock_guard lock(mu_);
  X509CrlPtr crl(X509_CRL_new());
  int64_t now = clock_.now_ns() / 1'000'000'000;
  AsnTimePtr last(ASN1_TIME_set(nullptr, static_cast<time_t>(now)), ASN1_TIME_free);
  AsnTimePtr next(ASN1_TIME_set(nullptr, static_cast<time_t>(now + options_.crl_validity.count())), ASN1_TIME_free);
  X509_CRL_set_version(crl.get(), 1);  // v2
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_cert_.get()));
  X509_CRL_set1_lastUpdate(crl.get(), last.get());
  X509_CRL_set1_nextUpdate(crl.get(), next.get());
  for (const auto& [serial, ts] : revoked_) {
    BIGNUM* bn = nullptr;
    if (BN_hex2bn(&bn, serial.c_str()) == 0) return make_error(Errc::corruption, "revoked serial " + serial);
    ASN1_INTEGER* ai = BN_to_ASN1_INTEGER(bn, nullptr);
    BN_free(bn);
    AsnTimePtr when(ASN1_TIME_set(nullptr, static_cast<time_t>(ts)), ASN1_TIME_free);
    X509_REVOKED* rev = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(rev, ai);
    X509_REVOKED_set_revocationDate(rev, when.get());
    ASN1_INTEGER_free(ai);
    X509_CRL_add0_revoked(crl.get(), rev);
  }
  X509_CRL_sort(crl.get());
  ASN1_INTEGER* number = ASN1_INTEGER_new();
  ASN1_INTEGER_set_uint64(number, crl_number_);
  X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number, 0, 0);
  ASN1_INTEGER_free(number);
  if (X509_CRL_sign(crl.get(), ca_key_.get(), EVP_sha256()) == 0) {
    return make_error(Errc::internal, "sign CRL: " + openssl_error());
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509_CRL(bio.get(), crl.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace iotwins::iam
