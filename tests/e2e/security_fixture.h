// The fixture of the security e2e tests (security_test.cc, security_groups_test.cc): one real
// server with --auth and an external OpenID provider for the whole suite, its admin's token, and
// helpers to call it as anyone and to make users with one role binding.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "../iam/oidc_provider.h"
#include "api/http_client.h"
#include "core/clock.h"
#include "harness.h"
#include "iam/keys.h"

namespace iotwins::e2e {

using nlohmann::json;
constexpr const char* kAdminPassword = kTestAdminPassword;  // the harness's --admin-password-file

struct Answer {
  int status = 0;
  json body;
  api::Headers headers;
};

class SecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto p = iam::testutil::OidcProvider::start();
    ASSERT_TRUE(p) << p.error().to_string();
    provider_ = std::move(*p);
    dir_ = temp_dir("security");
    server_ = std::make_unique<ServerDaemon>(
        dir_, std::vector<std::string>{"--auth", "--oidc-issuer", provider_->issuer(), "--oidc-audience", "iotwins",
                                       "--oidc-groups-claim", "groups"});
    server_->start();
    admin_ = server_->token();
  }
  static void TearDownTestSuite() {
    if (server_) server_->stop();
    server_.reset();
    provider_.reset();
  }

  static Answer call(const std::string& method, const std::string& path, const std::string& token = "",
                     const std::string& body = "", const std::string& type = "application/json") {
    api::ClientOptions o;
    o.bearer_token = token;
    auto c = api::HttpClient::create(server_->url(), o);
    EXPECT_TRUE(c);
    auto r = (*c)->request(api::parse_method(method), path, body, type);
    EXPECT_TRUE(r) << method << " " << path << ": " << r.error().to_string();
    if (!r) return {};
    return {r->status, json::parse(r->body, nullptr, false), r->headers};
  }
  static json login(const std::string& user, const std::string& password) {
    auto a = call("POST", "/api/v1/auth/token", "",
                  json{{"grant_type", "password"}, {"username", user}, {"password", password}}.dump());
    EXPECT_EQ(a.status, 200) << a.body.dump();
    return a.body;
  }
  // A user with one role binding, logged in: its access token.
  static std::string user_with_role(const std::string& name, const std::string& role, const std::string& scope = "*") {
    EXPECT_EQ(call("POST", "/api/v1/iam/users", admin_, json{{"name", name}, {"password", name + "-pw-123"}}.dump())
                  .status, 201);
    EXPECT_EQ(call("POST", "/api/v1/iam/bindings", admin_,
                   json{{"role", role}, {"subject", "user:" + name}, {"scope", scope}}.dump()).status, 201);
    return login(name, name + "-pw-123")["access_token"];
  }
  // The server's current signing key, read from its data dir (what a thief of the key would hold).
  static iam::SigningKey server_key() {
    std::string newest;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/server/keys")) {
      if (e.path().extension() == ".pem" && e.path().string() > newest) newest = e.path().string();
    }
    auto key = iam::SigningKey::from_pem(read_text(newest));
    EXPECT_TRUE(key) << newest;
    return *key;
  }
  static int64_t now_s() { return SystemClock::instance().now_ns() / 1'000'000'000; }

  static inline std::unique_ptr<iam::testutil::OidcProvider> provider_;
  static inline std::unique_ptr<ServerDaemon> server_;
  static inline std::string dir_;
  static inline std::string admin_;
};

}  // namespace iotwins::e2e
