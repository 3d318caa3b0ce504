#include <gtest/gtest.h>

#include "api/http_client.h"
#include "api/http_server.h"
#include "core/process.h"

#include <unistd.h>

namespace iotwins::api {
namespace {

// Makes a CA and a server certificate for 127.0.0.1 with the openssl command-line tool.
std::string make_certs() {
  // One directory per process: ctest runs each test in its own process, several at once.
  std::string dir = ::testing::TempDir() + "tls_test_certs_" + std::to_string(::getpid());
  std::string script =
      "set -e; rm -rf " + dir + "; mkdir -p " + dir + "; cd " + dir + ";"
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt"
      " -days 2 -subj /CN=test-ca 2>/dev/null;"
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr"
      " -subj /CN=server 2>/dev/null;"
      "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf;"
      "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt"
      " -days 2 -extfile ext.cnf 2>/dev/null;"
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.crt"
      " -days 2 -subj /CN=other-ca 2>/dev/null;"
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -out client.csr"
      " -subj /CN=node-7 2>/dev/null;"
      "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 2>/dev/null";
  auto p = Process::spawn({.argv = {"sh", "-c", script}});
  EXPECT_TRUE(p);
  EXPECT_EQ(p->wait().code, 0);
  return dir;
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dir_ = new std::string(make_certs()); }
  static void TearDownTestSuite() { delete dir_; }

  std::unique_ptr<HttpServer> start(bool mtls) {
    router_.add(Method::GET, "/who", [](Request& r) {
      Response res;
      res.content_type = "text/plain";
      res.body = r.header("X-Client-CN") ? *r.header("X-Client-CN") : "anonymous";
      return res;
    }, {.public_route = true});
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.tls_cert_file = *dir_ + "/server.crt";
    o.tls_key_file = *dir_ + "/server.key";
    if (mtls) o.tls_client_ca_file = *dir_ + "/ca.crt";
    auto s = HttpServer::start(o, router_);
    EXPECT_TRUE(s) << s.error().to_string();
    return std::move(*s);
  }

  static std::string* dir_;
  Router router_;
};
std::string* TlsTest::dir_ = nullptr;

TEST_F(TlsTest, ClientVerifiesTheServerAgainstTheCa) {
  auto server = start(false);
  EXPECT_TRUE(server->tls());
  auto c = HttpClient::create("https://" + server->address(), {.ca_file = *dir_ + "/ca.crt"});
  ASSERT_TRUE(c);
  auto r = (*c)->request(Method::GET, "/who");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->body, "anonymous");
}

TEST_F(TlsTest, WrongCaIsRefused) {
  auto server = start(false);
  auto c = HttpClient::create("https://" + server->address(), {.ca_file = *dir_ + "/other.crt"});
  ASSERT_TRUE(c);
  auto r = (*c)->request(Method::GET, "/who");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("TLS handshake"), std::string::npos);
}

TEST_F(TlsTest, PlainHttpToATlsPortGetsNoAnswer) {
  auto server = start(false);
  auto c = HttpClient::create("http://" + server->address());
  ASSERT_TRUE(c);
  EXPECT_FALSE((*c)->request(Method::GET, "/who"));
}

TEST_F(TlsTest, MutualTlsPassesTheClientNameAndRefusesStrangers) {
  auto server = start(true);
  auto with_cert = HttpClient::create("https://" + server->address(),
                                      {.ca_file = *dir_ + "/ca.crt",
                                       .client_cert_file = *dir_ + "/client.crt",
                                       .client_key_file = *dir_ + "/client.key"});
  ASSERT_TRUE(with_cert);
  auto r = (*with_cert)->request(Method::GET, "/who");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->body, "node-7");
  auto without = HttpClient::create("https://" + server->address(), {.ca_file = *dir_ + "/ca.crt"});
  EXPECT_FALSE((*without)->request(Method::GET, "/who"));
}

}  // namespace
}  // namespace iotwins::api
