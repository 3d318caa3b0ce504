#include "iam/ca.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>

#include "iam/secret_file.h"

namespace iotwins::iam {
namespace {

using namespace std::chrono_literals;

// The test's own check with OpenSSL, independent of verify_certificate(): returns
// X509_V_OK or OpenSSL's verify error code.
int openssl_verify(const std::string& cert_pem, const std::string& ca_pem, int64_t at_s, const std::string& crl = "") {
  auto cert = std::move(*read_certificate(cert_pem));
  auto ca = std::move(*read_certificate(ca_pem));
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.get());
  if (!crl.empty()) {
    BIO* bio = BIO_new_mem_buf(crl.data(), static_cast<int>(crl.size()));
    X509_CRL* c = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    X509_STORE_add_crl(store, c);
    X509_CRL_free(c);
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert.get(), nullptr);
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), static_cast<time_t>(at_s));
  int rc = X509_verify_cert(ctx);
  int err = rc == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return err;
}

// A CSR made the way an agent would, asking for more than it should get.
std::string make_csr(EVP_PKEY* key, EVP_PKEY* signer, const std::string& cn) {
  X509_REQ* req = X509_REQ_new();
  X509_REQ_set_version(req, 0);
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req, key);
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, "critical,CA:TRUE"));
  X509_REQ_add_extensions(req, exts);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  X509_REQ_sign(req, signer, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  X509_REQ_free(req);
  return pem;
}

class CaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/ca-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    auto ca = CertificateAuthority::open(fs_, dir_, clock_);
    ASSERT_TRUE(ca) << ca.error().to_string();
    ca_ = std::move(*ca);
  }
  int64_t now_s() const { return clock_.now_ns() / 1'000'000'000; }

  std::string dir_;
  PosixFileSystem& fs_ = PosixFileSystem::instance();
  ManualClock clock_;
  std::unique_ptr<CertificateAuthority> ca_;
};

TEST_F(CaTest, CreatesASelfSignedTenYearCa) {
  auto info = describe_certificate(ca_->ca_certificate_pem());
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->is_ca);
  EXPECT_EQ(info->common_name, "iotwins CA");
  EXPECT_EQ(info->serial, "1");
  EXPECT_GE(info->not_after_s - now_s(), int64_t{3650} * 86400);
  EXPECT_EQ(openssl_verify(ca_->ca_certificate_pem(), ca_->ca_certificate_pem(), now_s()), X509_V_OK);
  EXPECT_EQ(*file_mode(dir_ + "/ca.key"), 0600u);
  EXPECT_EQ(*file_mode(dir_), 0700u);
}

TEST_F(CaTest, ClientCertificateVerifiesThenExpires) {
  auto issued = ca_->issue_client("edge-7");
  ASSERT_TRUE(issued) << issued.error().to_string();
  EXPECT_EQ(issued->info.common_name, "edge-7");
  EXPECT_FALSE(issued->info.is_ca);
  EXPECT_EQ(issued->info.not_after_s - now_s(), 30 * 86400);
  EXPECT_FALSE(issued->private_key_pem.empty());
  EXPECT_EQ(openssl_verify(issued->certificate_pem, ca_->ca_certificate_pem(), now_s()), X509_V_OK);
  EXPECT_TRUE(verify_certificate(issued->certificate_pem, ca_->ca_certificate_pem(), now_s(), CertPurpose::tls_client));
  // clientAuth only: not usable as a server certificate.
  auto as_server = verify_certificate(issued->certificate_pem, ca_->ca_certificate_pem(), now_s(), CertPurpose::tls_server);
  ASSERT_FALSE(as_server);
  EXPECT_NE(as_server.error().message().find("purpose"), std::string::npos) << as_server.error().message();

  int64_t later = now_s() + 31 * 86400;
  EXPECT_EQ(openssl_verify(issued->certificate_pem, ca_->ca_certificate_pem(), later), X509_V_ERR_CERT_HAS_EXPIRED);
  auto expired = verify_certificate(issued->certificate_pem, ca_->ca_certificate_pem(), later);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code(), Errc::unauthenticated);
  EXPECT_NE(expired.error().message().find("expired"), std::string::npos);
}

TEST_F(CaTest, RotationAfterTwoThirdsOfTheLifetime) {
  auto info = ca_->issue_client("n1")->info;
  // notBefore is backdated 5 minutes; two thirds of (30 days + 5 min) after it.
  int64_t turn = info.not_before_s + (info.not_after_s - info.not_before_s) * 2 / 3;
  EXPECT_FALSE(needs_rotation(info, now_s()));
  EXPECT_FALSE(needs_rotation(info, turn - 1));
  EXPECT_TRUE(needs_rotation(info, turn));
  EXPECT_TRUE(needs_rotation(info, info.not_after_s + 1));
  EXPECT_NEAR(static_cast<double>(turn - now_s()), 20.0 * 86400, 400.0);
}

TEST_F(CaTest, ServerCertificateCarriesItsNames) {
  auto issued = ca_->issue_server({"iotwins.local", "localhost"}, {"127.0.0.1", "::1"});
  ASSERT_TRUE(issued) << issued.error().to_string();
  EXPECT_EQ(issued->info.dns_names, (std::vector<std::string>{"iotwins.local", "localhost"}));
  EXPECT_EQ(issued->info.ip_addresses, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_TRUE(verify_certificate(issued->certificate_pem, ca_->ca_certificate_pem(), now_s(), CertPurpose::tls_server));
  EXPECT_FALSE(ca_->issue_server({}, {}));
  EXPECT_FALSE(ca_->issue_server({"a,DNS:evil.com"}, {}));
  EXPECT_FALSE(ca_->issue_server({}, {"300.1.1.1"}));
}

TEST_F(CaTest, SignsCsrsButTakesOnlyTheKey) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  std::string csr = make_csr(key, key, "admin");  // asks for CN=admin and CA:TRUE
  auto issued = ca_->sign_csr(csr, "iot-3");
  ASSERT_TRUE(issued) << issued.error().to_string();
  EXPECT_EQ(issued->info.common_name, "iot-3");
  EXPECT_FALSE(issued->info.is_ca);
  EXPECT_TRUE(issued->private_key_pem.empty());
  EXPECT_EQ(openssl_verify(issued->certificate_pem, ca_->ca_certificate_pem(), now_s()), X509_V_OK);
  // The certificate holds the agent's key.
  auto cert = std::move(*read_certificate(issued->certificate_pem));
  EXPECT_EQ(X509_check_private_key(cert.get(), key), 1);

  // A CSR whose signature is by another key: the requester does not hold the key it names.
  EVP_PKEY* other = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  auto forged = ca_->sign_csr(make_csr(key, other, "x"), "iot-4");
  ASSERT_FALSE(forged);
  EXPECT_NE(forged.error().message().find("does not verify"), std::string::npos);
  EXPECT_FALSE(ca_->sign_csr("garbage", "iot-5"));
  EXPECT_FALSE(ca_->sign_csr(csr, "../../etc"));
  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  EXPECT_NE(ca_->sign_csr(make_csr(p384, p384, "x"), "iot-6").error().message().find("P-256"), std::string::npos);
  EVP_PKEY_free(key);
  EVP_PKEY_free(other);
  EVP_PKEY_free(p384);
}

TEST_F(CaTest, RevokedCertificatesFailWithTheCrl) {
  auto a = *ca_->issue_client("node-a");
  auto b = *ca_->issue_client("node-b");
  ASSERT_TRUE(ca_->revoke(a.info.serial));
  EXPECT_TRUE(ca_->is_revoked(a.info.serial));
  EXPECT_FALSE(ca_->is_revoked(b.info.serial));
  auto crl = ca_->crl_pem();
  ASSERT_TRUE(crl) << crl.error().to_string();
  EXPECT_EQ(openssl_verify(a.certificate_pem, ca_->ca_certificate_pem(), now_s(), *crl), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(openssl_verify(b.certificate_pem, ca_->ca_certificate_pem(), now_s(), *crl), X509_V_OK);
  auto r = verify_certificate(a.certificate_pem, ca_->ca_certificate_pem(), now_s(), CertPurpose::tls_client, *crl);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("revoked"), std::string::npos);
  EXPECT_FALSE(ca_->revoke("xyz"));
  // Revocations and serials survive a restart.
  auto reopened = std::move(*CertificateAuthority::open(fs_, dir_, clock_));
  EXPECT_TRUE(reopened->is_revoked(a.info.serial));
  auto c = *reopened->issue_client("node-c");
  EXPECT_EQ(c.info.serial, "4");  // 1 is the CA, 2 and 3 were a and b
  EXPECT_EQ(reopened->ca_certificate_pem(), ca_->ca_certificate_pem());
}

TEST_F(CaTest, UsesTheUsersOwnCa) {
  std::string own = dir_ + "-own";
  std::filesystem::remove_all(own);
  std::filesystem::create_directories(own);
  std::filesystem::copy_file(dir_ + "/ca.crt", own + "/ca.crt");
  std::filesystem::copy_file(dir_ + "/ca.key", own + "/ca.key");
  auto ca = CertificateAuthority::open(fs_, own, clock_);
  ASSERT_TRUE(ca) << ca.error().to_string();
  auto issued = *(*ca)->issue_client("n");
  EXPECT_EQ(openssl_verify(issued.certificate_pem, ca_->ca_certificate_pem(), now_s()), X509_V_OK);
  // Serials of a brought CA start at a random point, away from ones it may have issued.
  EXPECT_GE(issued.info.serial.size(), 8u);

  std::string half = dir_ + "-half";
  std::filesystem::remove_all(half);
  std::filesystem::create_directories(half);
  std::filesystem::copy_file(dir_ + "/ca.key", half + "/ca.key");
  auto r = CertificateAuthority::open(fs_, half, clock_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("ca.key but no ca.crt"), std::string::npos);
}

TEST_F(CaTest, RefusesAKeyThatDoesNotMatch) {
  std::string other = dir_ + "-other";
  std::filesystem::remove_all(other);
  ASSERT_TRUE(CertificateAuthority::open(fs_, other, clock_));
  std::filesystem::copy_file(other + "/ca.key", dir_ + "/ca.key", std::filesystem::copy_options::overwrite_existing);
  auto r = CertificateAuthority::open(fs_, dir_, clock_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("does not match"), std::string::npos);
}

}  // namespace
}  // namespace iotwins::iam
