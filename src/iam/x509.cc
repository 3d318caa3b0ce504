#include "iam/x509.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include "iam/encoding.h"

namespace iotwins::iam {

void X509Deleter::operator()(X509* x) const { X509_free(x); }
void X509ReqDeleter::operator()(X509_REQ* x) const { X509_REQ_free(x); }
void X509CrlDeleter::operator()(X509_CRL* x) const { X509_CRL_free(x); }

namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

Result<BioPtr> pem_bio(std::string_view pem, std::string_view what) {
  if (pem.size() > kMaxPemBytes) {
    return make_error(Errc::too_large, std::string(what) + " PEM is over " + std::to_string(kMaxPemBytes) + " bytes");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return make_error(Errc::internal, "memory BIO");
  return bio;
}

int64_t asn1_seconds(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::string name_cn(X509_NAME* name) {
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)), ASN1_STRING_length(data));
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  int len = ASN1_STRING_length(ip);
  const unsigned char* p = ASN1_STRING_get0_data(ip);
  if (len == 4) inet_ntop(AF_INET, p, buf, sizeof buf);
  else if (len == 16) inet_ntop(AF_INET6, p, buf, sizeof buf);
  return buf;
}

}  // namespace

Result<X509Ptr> read_certificate(std::string_view pem) {
  IOT_ASSIGN(auto bio, pem_bio(pem, "certificate"));
  X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (x == nullptr) return make_error(Errc::invalid_argument, "not a PEM certificate: " + openssl_error());
  return X509Ptr(x);
}

Result<X509ReqPtr> read_csr(std::string_view pem) {
  IOT_ASSIGN(auto bio, pem_bio(pem, "certificate request"));
  X509_REQ* x = PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr);
  if (x == nullptr) return make_error(Errc::invalid_argument, "not a PEM certificate request: " + openssl_error());
  return X509ReqPtr(x);
}

Result<X509CrlPtr> read_crl(std::string_view pem) {
  IOT_ASSIGN(auto bio, pem_bio(pem, "CRL"));
  X509_CRL* x = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
  if (x == nullptr) return make_error(Errc::invalid_argument, "not a PEM CRL: " + openssl_error());
  return X509CrlPtr(x);
}

Result<std::string> certificate_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  if (PEM_write_bio_X509(bio.get(), cert) != 1) return make_error(Errc::internal, "write certificate: " + openssl_error());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<std::string> make_csr(EVP_PKEY* key, std::string_view common_name) {
  X509ReqPtr req(X509_REQ_new());
  if (!req) return make_error(Errc::internal, "CSR: " + openssl_error());
  std::string cn(common_name);
  if (X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) != 1 ||
      X509_REQ_set_pubkey(req.get(), key) != 1 || X509_REQ_sign(req.get(), key, EVP_sha256()) <= 0) {
    return make_error(Errc::internal, "CSR: " + openssl_error());
  }
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  if (PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) return make_error(Errc::internal, "write CSR: " + openssl_error());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<CertInfo> describe_certificate(X509* cert) {
  CertInfo info;
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn == nullptr) return make_error(Errc::invalid_argument, "certificate serial number is unreadable");
  char* hex = BN_bn2hex(bn);
  info.serial = hex;
  OPENSSL_free(hex);
  BN_free(bn);
  for (char& c : info.serial) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t nz = info.serial.find_first_not_of('0');
  info.serial = nz == std::string::npos ? "0" : info.serial.substr(nz);
  info.common_name = name_cn(X509_get_subject_name(cert));
  info.issuer_common_name = name_cn(X509_get_issuer_name(cert));
  info.not_before_s = asn1_seconds(X509_get0_notBefore(cert));
  info.not_after_s = asn1_seconds(X509_get0_notAfter(cert));
  info.is_ca = X509_check_ca(cert) != 0;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
    if (gn->type == GEN_DNS) {
      info.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)),
                                  ASN1_STRING_length(gn->d.dNSName));
    } else if (gn->type == GEN_IPADD) {
      info.ip_addresses.push_back(ip_text(gn->d.iPAddress));
    }
  }
  GENERAL_NAMES_free(sans);
  return info;
}

Result<CertInfo> describe_certificate(std::string_view pem) {
  IOT_ASSIGN(auto cert, read_certificate(pem));
  return describe_certificate(cert.get());
}

Status verify_certificate(std::string_view cert_pem, std::string_view ca_pem, int64_t now_s, CertPurpose purpose,
                          std::string_view crl_pem) {
  IOT_ASSIGN(auto cert, read_certificate(cert_pem));
  IOT_ASSIGN(auto ca, read_certificate(ca_pem));
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), X509_STORE_CTX_free);
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca.get()) != 1) {
    return make_error(Errc::internal, "certificate store: " + openssl_error());
  }
  if (!crl_pem.empty()) {
    IOT_ASSIGN(auto crl, read_crl(crl_pem));
    if (X509_STORE_add_crl(store.get(), crl.get()) != 1) return make_error(Errc::internal, "add CRL: " + openssl_error());
    X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK);
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return make_error(Errc::internal, "verify context: " + openssl_error());
  }
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), static_cast<time_t>(now_s));
  if (purpose == CertPurpose::tls_client) X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (purpose == CertPurpose::tls_server) X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    openssl_error();  // drop queued details; the verify error says it
    return make_error(Errc::unauthenticated, std::string("certificate rejected: ") + X509_verify_cert_error_string(err));
  }
  return ok();
}

bool needs_rotation(const CertInfo& cert, int64_t now_s) {
  int64_t lifetime = cert.not_after_s - cert.not_before_s;
  return now_s >= cert.not_before_s + lifetime * 2 / 3;
}

}  // namespace iotwins::iam
