// Who may call what, against the real server with --auth: every route of its router refuses
// callers without credentials (401) and with an insufficient role (403); tokens that are expired,
// forged, unsigned (alg none) or for another audience are refused; logins are rate limited;
// refresh tokens rotate and a replayed one revokes its family; revocation; the audit log; an
// external OpenID provider (the real oidc-provider on node) whose groups claim maps to bindings.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "api/http_client.h"
#include "core/clock.h"
#include "harness.h"
#include "iam/encoding.h"
#include "iam/jwt.h"
#include "iam/keys.h"
#include "security_fixture.h"

namespace iotwins::e2e {
namespace {

// A concrete path for a route pattern: every {param} becomes "x".
std::string concrete(std::string pattern) {
  for (size_t open = pattern.find('{'); open != std::string::npos; open = pattern.find('{')) {
    pattern.replace(open, pattern.find('}', open) - open + 1, "x");
  }
  return pattern;
}

TEST_F(SecurityTest, EveryRouteOfTheRouterAnswers401WithoutAToken403WithAnInsufficientRole) {
  std::string viewer = user_with_role("route-viewer", "viewer");
  std::string agent = user_with_role("route-agent", "agent");
  auto doc = call("GET", "/api/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  int protected_routes = 0, public_routes = 0;
  for (const auto& [pattern, ops] : doc.body["paths"].items()) {
    for (const auto& [method_lower, op] : ops.items()) {
      std::string method = method_lower;
      for (char& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      std::string path = concrete(pattern);
      SCOPED_TRACE(method + " " + pattern);
      if (op.contains("security") && op["security"].empty()) {
        ++public_routes;
        EXPECT_NE(call(method, path, "", "{}").status, 403);
        continue;
      }
      ++protected_routes;
      ASSERT_TRUE(op.contains("x-iotwins-permission"));
      Answer none = call(method, path, "", "{}");
      EXPECT_EQ(none.status, 401) << none.body.dump();
      EXPECT_EQ(none.headers.count("WWW-Authenticate"), 1u);
      EXPECT_EQ(call(method, path, "not-a-token", "{}").status, 401);
      std::string kind = op["x-iotwins-permission"]["kind"], verb = op["x-iotwins-permission"]["verb"];
      if (verb != "read" || kind == "iam" || kind == "audit") {
        Answer v = call(method, path, viewer, "{}");
        EXPECT_EQ(v.status, 403) << "viewer: " << v.body.dump();
      }
      if (kind == "iam" || kind == "audit" || kind == "templates" || verb == "delete" || verb == "admin") {
        Answer a = call(method, path, agent, "{}");
        EXPECT_EQ(a.status, 403) << "agent: " << a.body.dump();
      }
    }
  }
  EXPECT_GT(protected_routes, 60);
  EXPECT_GE(public_routes, 8);  // health, readiness, metrics, version, openapi, token, revoke, whoami, jwks
}

TEST_F(SecurityTest, ExpiredForgedUnsignedAndWrongAudienceTokensAreRefused) {
  iam::SigningKey key = server_key();
  auto token = [&](iam::Claims c) { return *iam::sign_jwt(key, c); };
  iam::Claims good{.iss = "iotwins", .sub = "user:admin", .aud = {"iotwins"}, .exp = now_s() + 300, .iat = now_s()};
  ASSERT_EQ(call("GET", "/api/v1/nodes", token(good)).status, 200);  // the forging helper itself is right

  iam::Claims expired = good;
  expired.exp = now_s() - 3600;
  expired.iat = now_s() - 7200;
  Answer a = call("GET", "/api/v1/nodes", token(expired));
  EXPECT_EQ(a.status, 401);
  EXPECT_NE(a.body["detail"].get<std::string>().find("expired"), std::string::npos) << a.body.dump();

  iam::Claims audience = good;
  audience.aud = {"someone-else"};
  EXPECT_EQ(call("GET", "/api/v1/nodes", token(audience)).status, 401);

  auto other_key = iam::SigningKey::generate();  // right claims, signed by a key the server does not know
  ASSERT_TRUE(other_key);
  EXPECT_EQ(call("GET", "/api/v1/nodes", *iam::sign_jwt(*other_key, good)).status, 401);

  std::string signed_token = token(good);  // a valid signature over other claims
  iam::Claims admin_forever = good;
  admin_forever.exp = now_s() + 10 * 365 * 86400;
  std::string swapped_payload = iam::base64url_encode(iam::claims_to_json(admin_forever).dump());
  std::string forged = signed_token.substr(0, signed_token.find('.')) + "." + swapped_payload +
                       signed_token.substr(signed_token.rfind('.'));
  EXPECT_EQ(call("GET", "/api/v1/nodes", forged).status, 401);

  std::string none = iam::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                     iam::base64url_encode(iam::claims_to_json(good).dump()) + ".";
  EXPECT_EQ(call("GET", "/api/v1/nodes", none).status, 401);

  iam::Claims ghost = good;
  ghost.sub = "user:nobody-of-that-name";
  EXPECT_EQ(call("GET", "/api/v1/nodes", token(ghost)).status, 401);
}

TEST_F(SecurityTest, LoginsAreRateLimitedPerUserAndAddress) {
  user_with_role("rate-user", "viewer");
  json wrong{{"grant_type", "password"}, {"username", "rate-user"}, {"password", "wrong"}};
  int refused = 0;
  Answer last;
  for (int i = 0; i < 8 && last.status != 429; ++i) {
    last = call("POST", "/api/v1/auth/token", "", wrong.dump());
    if (last.status == 401) ++refused;
  }
  EXPECT_EQ(last.status, 429) << last.body.dump();
  EXPECT_GE(refused, 5);  // the burst of 5 (a successful login resets the bucket)
  ASSERT_EQ(last.headers.count("Retry-After"), 1u);
  EXPECT_GE(std::stoi(last.headers["Retry-After"]), 1);
  // Even the right password waits: the limit is on attempts, not on failures.
  json right{{"grant_type", "password"}, {"username", "rate-user"}, {"password", "rate-user-pw-123"}};
  EXPECT_EQ(call("POST", "/api/v1/auth/token", "", right.dump()).status, 429);
  // Another user from the same address is not affected.
  EXPECT_EQ(login("admin", kAdminPassword).value("token_type", ""), "Bearer");
}

TEST_F(SecurityTest, RefreshTokensRotateAndAReplayRevokesTheFamily) {
  user_with_role("refresher", "viewer");
  json first = login("refresher", "refresher-pw-123");
  std::string r1 = first["refresh_token"];
  Answer second = call("POST", "/api/v1/auth/token", "", json{{"grant_type", "refresh_token"}, {"refresh_token", r1}}.dump());
  ASSERT_EQ(second.status, 200) << second.body.dump();
  std::string r2 = second.body["refresh_token"];
  EXPECT_NE(r1, r2);
  EXPECT_EQ(call("GET", "/api/v1/auth/whoami", second.body["access_token"]).body["subject"], "user:refresher");
  // r1 again: a copy was used, so r2 dies with it.
  EXPECT_EQ(call("POST", "/api/v1/auth/token", "", json{{"grant_type", "refresh_token"}, {"refresh_token", r1}}.dump())
                .status, 401);
  EXPECT_EQ(call("POST", "/api/v1/auth/token", "", json{{"grant_type", "refresh_token"}, {"refresh_token", r2}}.dump())
                .status, 401);
  // The same grant as an OAuth form.
  json third = login("refresher", "refresher-pw-123");
  Answer form = call("POST", "/api/v1/auth/token", "",
                     "grant_type=refresh_token&refresh_token=" + api::percent_encode(third["refresh_token"].get<std::string>()),
                     "application/x-www-form-urlencoded");
  EXPECT_EQ(form.status, 200) << form.body.dump();
}

TEST_F(SecurityTest, RevokedRefreshAndApiTokensStopWorking) {
  user_with_role("leaver", "viewer");
  json session = login("leaver", "leaver-pw-123");
  EXPECT_EQ(call("POST", "/api/v1/auth/revoke", "", json{{"token", session["refresh_token"]}}.dump()).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/auth/token", "",
                 json{{"grant_type", "refresh_token"}, {"refresh_token", session["refresh_token"]}}.dump()).status, 401);

  ASSERT_EQ(call("POST", "/api/v1/iam/service-accounts", admin_, json{{"name", "ci"}}.dump()).status, 201);
  ASSERT_EQ(call("POST", "/api/v1/iam/bindings", admin_,
                 json{{"role", "developer"}, {"subject", "service-account:ci"}}.dump()).status, 201);
  Answer issued = call("POST", "/api/v1/iam/tokens", admin_, json{{"subject", "service-account:ci"}, {"name", "ci"}}.dump());
  ASSERT_EQ(issued.status, 201) << issued.body.dump();
  std::string pat = issued.body["token"];
  EXPECT_EQ(call("GET", "/api/v1/deployments", pat).status, 200);
  Answer cc = call("POST", "/api/v1/auth/token", "", json{{"grant_type", "client_credentials"}, {"client_secret", pat}}.dump());
  ASSERT_EQ(cc.status, 200) << cc.body.dump();
  EXPECT_EQ(call("GET", "/api/v1/auth/whoami", cc.body["access_token"]).body["subject"], "service-account:ci");
  // The token list never shows secrets.
  Answer listed = call("GET", "/api/v1/iam/tokens?subject=service-account:ci", admin_);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.dump().find(pat.substr(pat.rfind('_') + 1)), std::string::npos);
  EXPECT_EQ(call("DELETE", "/api/v1/iam/tokens/" + issued.body["id"].get<std::string>(), admin_).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/deployments", pat).status, 401);
}

TEST_F(SecurityTest, ChangesAndRefusalsAreAuditedWithWhoWhatAndWhere) {
  std::string viewer = user_with_role("audited-viewer", "viewer");
  EXPECT_EQ(call("DELETE", "/api/v1/nodes/n-1", viewer).status, 403);
  json model = {{"id", "Pump"}, {"telemetry", {{"temperature", {{"type", "number"}}}}}};
  EXPECT_EQ(call("PUT", "/api/v1/twin-models/Pump", admin_, model.dump()).status, 201);
  Answer page = call("GET", "/api/v1/audit?limit=1000", admin_);
  ASSERT_EQ(page.status, 200) << page.body.dump();
  bool denied = false, created = false, bound = false, bootstrap = false;
  for (const auto& r : page.body["items"]) {
    if (r["actor"] == "user:audited-viewer" && r["action"] == "nodes.delete" && r["outcome"] == "denied") denied = true;
    if (r["actor"] == "user:admin" && r["action"] == "twin-models.update" && r["target"] == "/api/v1/twin-models/Pump" &&
        r["outcome"] == "ok" && r["remote"].get<std::string>().starts_with("127.0.0.1")) {
      created = true;
    }
    if (r["action"] == "iam.bindings.create" && r["target"] == "viewer user:audited-viewer *") bound = true;
    if (r["action"] == "iam.bootstrap") bootstrap = true;
  }
  EXPECT_TRUE(denied && created && bound && bootstrap) << page.body.dump(1);
  Answer filtered = call("GET", "/api/v1/audit?actor=user:audited-viewer&action=nodes.", admin_);
  ASSERT_EQ(filtered.status, 200);
  EXPECT_EQ(filtered.body["count"], 1) << filtered.body.dump();
  EXPECT_EQ(call("GET", "/api/v1/audit", viewer).status, 403);
  // Injection strings are data, not SQL.
  Answer odd = call("GET", "/api/v1/audit?actor=" + api::percent_encode("' OR 1=1 --"), admin_);
  EXPECT_EQ(odd.status, 200);
  EXPECT_EQ(odd.body["count"], 0);
}

TEST_F(SecurityTest, AnOpenIdProvidersTokenIsAcceptedAndItsGroupsMapToBindings) {
  auto client = api::HttpClient::create(provider_->issuer());
  ASSERT_TRUE(client);
  auto r = (*client)->request(api::Method::POST, "/token",
                              "grant_type=client_credentials&client_id=iotwins-test&client_secret=test-secret"
                              "&scope=api&resource=" + api::percent_encode("urn:iotwins:rs256"),
                              "application/x-www-form-urlencoded");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : r.error().to_string());
  std::string token = json::parse(r->body)["access_token"];
  Answer who = call("GET", "/api/v1/auth/whoami", token);
  ASSERT_EQ(who.status, 200) << who.body.dump();
  EXPECT_EQ(who.body["subject"], "user:iotwins-test");
  EXPECT_EQ(who.body["groups"], json({"ops", "plant-a"}));
  EXPECT_EQ(call("GET", "/api/v1/nodes", token).status, 403);  // no binding yet
  ASSERT_EQ(call("POST", "/api/v1/iam/groups", admin_, json{{"name", "ops"}}.dump()).status, 201);
  ASSERT_EQ(call("POST", "/api/v1/iam/bindings", admin_,
                 json{{"role", "viewer"}, {"subject", "group:ops"}}.dump()).status, 201);
  EXPECT_EQ(call("GET", "/api/v1/nodes", token).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/nodes/n-1", token).status, 403);
  // A token of the same provider for another audience is refused.
  auto other = (*client)->request(api::Method::POST, "/token",
                                  "grant_type=client_credentials&client_id=iotwins-test&client_secret=test-secret"
                                  "&scope=api&resource=urn:other",
                                  "application/x-www-form-urlencoded");
  ASSERT_TRUE(other && other->status == 200);
  EXPECT_EQ(call("GET", "/api/v1/nodes", json::parse(other->body)["access_token"]).status, 401);
}

TEST_F(SecurityTest, AUserOfOneGroupNeitherSeesNorChangesAnotherGroupsTwins) {
  for (const char* g : {"plant-a", "plant-b"}) {
    ASSERT_EQ(call("POST", "/api/v1/iam/groups", admin_, json{{"name", g}}.dump()).status, 201);
  }
  ASSERT_EQ(call("PUT", "/api/v1/twins/pump-a", admin_, json{{"group", "plant-a"}}.dump()).status, 201);
  ASSERT_EQ(call("PUT", "/api/v1/twins/pump-b", admin_, json{{"group", "plant-b"}}.dump()).status, 201);
  std::string alice = user_with_role("alice-a", "operator", "plant-a");

  EXPECT_EQ(call("GET", "/api/v1/twins/pump-a", alice).body["group"], "plant-a");
  Answer other = call("GET", "/api/v1/twins/pump-b", alice);
  EXPECT_EQ(other.status, 404) << other.body.dump();  // not even its existence
  EXPECT_EQ(call("GET", "/api/v1/twins/pump-b/children", alice).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/twins/pump-b", alice).status, 404);
  EXPECT_EQ(call("PATCH", "/api/v1/twins/pump-b/state", alice, R"({"state":{"desired":{"on":true}}})").status, 404);
  Answer list = call("GET", "/api/v1/twins?limit=1000", alice);
  ASSERT_EQ(list.status, 200);
  std::set<std::string> ids;
  for (const auto& t : list.body["items"]) ids.insert(t["id"]);
  EXPECT_TRUE(ids.contains("pump-a"));
  EXPECT_FALSE(ids.contains("pump-b")) << list.body.dump();
  // Creating in, or moving a twin to, a group without a grant there is refused.
  EXPECT_EQ(call("PUT", "/api/v1/twins/pump-c", alice, json{{"group", "plant-b"}}.dump()).status, 403);
  EXPECT_EQ(call("PUT", "/api/v1/twins/pump-a", alice, json{{"group", "plant-b"}}.dump()).status, 403);
  EXPECT_EQ(call("PATCH", "/api/v1/twins/pump-a/state", alice, R"({"state":{"desired":{"on":true}}})").status, 200);
  // The other group's twin is intact; an admin (bound on *) sees both.
  EXPECT_EQ(call("GET", "/api/v1/twins/pump-b", admin_).body["version"], 1);
  // A viewer in plant-a reads but does not change.
  std::string vic = user_with_role("vic-a", "viewer", "plant-a");
  EXPECT_EQ(call("GET", "/api/v1/twins/pump-a", vic).status, 200);
  EXPECT_EQ(call("PATCH", "/api/v1/twins/pump-a/state", vic, R"({"state":{"desired":{"on":false}}})").status, 403);
}

TEST_F(SecurityTest, InjectionStringsInQueryParametersAreDataNeverA500) {
  ASSERT_EQ(call("PUT", "/api/v1/twins/inj-1", admin_, "{}").status, 201);
  auto count = [] { return call("GET", "/api/v1/twins?limit=1000", admin_).body["items"].size(); };
  size_t before = count();
  const std::vector<std::string> attacks = {"' OR 1=1 --", "../../etc/passwd", "%00", "\"; DROP TABLE twins; --",
                                            "*", "a\nb", std::string(5000, 'x')};
  const std::vector<std::string> params = {"filter", "sort", "limit", "cursor", "after", "twin", "property", "level",
                                           "state", "type", "from", "to", "step", "agg", "actor", "action",
                                           "subject", "group", "format", "depth", "revision"};
  auto doc = call("GET", "/api/v1/openapi.json");
  int probes = 0;
  for (const auto& [pattern, ops] : doc.body["paths"].items()) {
    if (!ops.contains("get") || pattern == "/api/v1/twins/events") continue;  // the feed streams forever
    std::string path = concrete(pattern);
    for (const auto& p : params) {
      for (const auto& a : attacks) {
        Answer r = call("GET", path + "?" + p + "=" + api::percent_encode(a), admin_);
        ++probes;
        EXPECT_LT(r.status, 500) << path << "?" << p << "=" << a.substr(0, 40) << ": " << r.body.dump().substr(0, 300);
      }
    }
  }
  EXPECT_GT(probes, 1000);
  EXPECT_EQ(count(), before);  // the store is intact
  // Path traversal in artifact names: refused as a bad name, never a file.
  for (const char* name : {"..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e", "..", "a%00b"}) {
    Answer r = call("GET", std::string("/api/v1/artifacts/") + name, admin_);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << name << ": " << r.status;
  }
}

TEST_F(SecurityTest, OversizeBodiesAre413AndASlowClientIsCutWhileOthersAreServed) {
  Answer big = call("POST", "/api/v1/auth/token", "", std::string(64 * 1024, 'x'));
  EXPECT_EQ(big.status, 413);
  Answer big_user = call("POST", "/api/v1/iam/users", admin_, std::string(200 * 1024, 'y'));  // limit 64 KiB
  EXPECT_EQ(big_user.status, 413);
  // A client that never finishes its headers: the server keeps serving others, and cuts it.
  auto url = api::parse_url(server_->url());
  ASSERT_TRUE(url);
  std::string cmd = "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(url->port) +
                    "; printf 'GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n' >&3; cat <&3 >/dev/null; echo closed";
  auto slow = Process::spawn({.argv = {"bash", "-c", cmd}, .stdout_path = dir_ + "/slow.out"});
  ASSERT_TRUE(slow);
  EXPECT_EQ(call("GET", "/api/v1/nodes", admin_).status, 200);
  EXPECT_TRUE(eventually([&] { return read_text(dir_ + "/slow.out") == "closed\n"; }, std::chrono::seconds(30)))
      << "the server did not cut a client that never finished its headers";
  slow->wait();
}

// The CLI as a user runs it: no IOTWINS_TOKEN (run_cli would send the harness's), the stored
// credentials in their own file, the password on stdin.
CommandResult user_cli(const std::string& creds, const std::vector<std::string>& args,
                       const std::string& stdin_path = "") {
  return run_cli(args, {.env = {"IOTWINS_CREDENTIALS=" + creds}, .stdin_path = stdin_path, .server_token = false});
}

TEST_F(SecurityTest, TheCliLogsInStoresTokensPrivatelyAndSendsThem) {
  std::string creds = dir_ + "/cli/credentials.json";
  std::string url = server_->url();
  EXPECT_EQ(user_cli(creds, {"nodes", "--server", url}).code, 1);  // not logged in yet
  std::string pw = dir_ + "/pw.txt";
  std::ofstream(pw) << kAdminPassword << "\n";
  auto login = user_cli(creds, {"login", "--server", url, "--user", "admin", "--password-stdin"}, pw);
  ASSERT_EQ(login.code, 0) << login.out;
  EXPECT_NE(login.out.find("as user:admin"), std::string::npos) << login.out;
  EXPECT_EQ(std::filesystem::status(creds).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(read_text(creds).find(kAdminPassword), std::string::npos);  // tokens only, never the password
  auto who = user_cli(creds, {"whoami", "--server", url});
  EXPECT_EQ(who.code, 0) << who.out;
  EXPECT_NE(who.out.find("user:admin"), std::string::npos) << who.out;
  EXPECT_NE(who.out.find("admin in *"), std::string::npos) << who.out;
  auto nodes = user_cli(creds, {"nodes", "--server", url});
  EXPECT_EQ(nodes.code, 0) << nodes.out;
  auto add = user_cli(creds, {"groups", "add", "cli-made", "--server", url, "--description", "from the CLI"});
  EXPECT_EQ(add.code, 0) << add.out;
  auto groups = user_cli(creds, {"groups", "--server", url});
  EXPECT_NE(groups.out.find("from the CLI"), std::string::npos) << groups.out;
  auto audit = user_cli(creds, {"audit", "--server", url, "--action", "iam.groups"});
  EXPECT_EQ(audit.code, 0) << audit.out;
  EXPECT_NE(audit.out.find("group:cli-made"), std::string::npos) << audit.out;
  auto logout = user_cli(creds, {"logout", "--server", url});
  EXPECT_EQ(logout.code, 0) << logout.out;
  auto after = user_cli(creds, {"nodes", "--server", url});
  EXPECT_EQ(after.code, 1) << after.out;
  EXPECT_NE(after.out.find("iotwins login"), std::string::npos) << after.out;
}

}  // namespace
}  // namespace iotwins::e2e
