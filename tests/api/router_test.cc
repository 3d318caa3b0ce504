#include "api/router.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace iotwins::api {
namespace {

Response text(std::string body) {
  Response r;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

const RouteOptions kOpen{.public_route = true};

Router make_router() {
  Router router;
  router.add(Method::GET, "/api/v1/nodes", [](Request&) { return text("list"); }, kOpen);
  router.add(Method::POST, "/api/v1/nodes", [](Request&) { return text("register"); }, kOpen);
  router.add(Method::GET, "/api/v1/nodes/{id}", [](Request& r) { return text("get " + r.param("id")); }, kOpen);
  router.add(Method::GET, "/api/v1/nodes/plan", [](Request&) { return text("plan"); }, kOpen);
  router.add(Method::PUT, "/api/v1/nodes/{id}/heartbeat", [](Request& r) { return text("hb " + r.param("id")); }, kOpen);
  router.add(Method::GET, "/static/{path...}", [](Request& r) { return text("file " + r.param("path")); }, kOpen);
  router.add(Method::GET, "/boom", [](Request&) -> Response { throw std::runtime_error("bug"); }, kOpen);
  return router;
}

Response call(const Router& router, Method m, std::string path) {
  Request req;
  req.method = m;
  req.path = std::move(path);
  return router.dispatch(req);
}

TEST(Router, MatchesLiteralsAndParameters) {
  Router router = make_router();
  EXPECT_EQ(call(router, Method::GET, "/api/v1/nodes").body, "list");
  EXPECT_EQ(call(router, Method::POST, "/api/v1/nodes").body, "register");
  EXPECT_EQ(call(router, Method::GET, "/api/v1/nodes/n-1").body, "get n-1");
  EXPECT_EQ(call(router, Method::GET, "/api/v1/nodes/plan").body, "plan");  // literal wins
  EXPECT_EQ(call(router, Method::PUT, "/api/v1/nodes/n-2/heartbeat").body, "hb n-2");
  EXPECT_EQ(call(router, Method::GET, "/static/a/b/c.js").body, "file a/b/c.js");
  EXPECT_EQ(call(router, Method::GET, "/api/v1/nodes/").body, "list");  // trailing slash
}

TEST(Router, UnknownPathIs404ProblemJson) {
  Router router = make_router();
  Response r = call(router, Method::GET, "/api/v1/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["status"], 404);
  EXPECT_EQ(j["code"], "not_found");
  EXPECT_NE(j["detail"].get<std::string>().find("/api/v1/nope"), std::string::npos);
}

TEST(Router, WrongMethodIs405WithAllow) {
  Router router = make_router();
  Response r = call(router, Method::DELETE, "/api/v1/nodes");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["Allow"], "GET, POST");
  EXPECT_EQ(nlohmann::json::parse(r.body)["code"], "method_not_allowed");
}

TEST(Router, HeadFallsBackToGet) {
  Router router = make_router();
  EXPECT_EQ(call(router, Method::HEAD, "/api/v1/nodes").status, 200);
}

TEST(Router, HandlerExceptionBecomes500NotACrash) {
  Router router = make_router();
  Response r = call(router, Method::GET, "/boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(nlohmann::json::parse(r.body)["code"], "internal");
  EXPECT_EQ(nlohmann::json::parse(r.body)["detail"].get<std::string>().find("bug"), std::string::npos);
}

TEST(Router, RecordsTheMatchedRoutePattern) {
  Router router = make_router();
  Request req;
  req.method = Method::GET;
  req.path = "/api/v1/nodes/x";
  router.dispatch(req);
  EXPECT_EQ(req.route, "/api/v1/nodes/{id}");
}

TEST(RouterDeathTest, RouteWithoutPermissionIsRefusedAtRegistration) {
  Router router;
  EXPECT_DEATH(router.add(Method::GET, "/open", [](Request&) { return text("x"); }), "GET /open declares no permission");
  EXPECT_DEATH(router.add(Method::POST, "/half", [](Request&) { return text("x"); }, {.kind = iam::ResourceKind::nodes}),
               "POST /half declares no permission");
}

TEST(Router, GuardAnswersInsteadOfTheHandlerAndSeesEveryAnswer) {
  Router router;
  int handled = 0;
  std::vector<int> seen;
  router.add(Method::POST, "/api/v1/nodes", [&handled](Request& r) {
    ++handled;
    return text(r.principal ? r.principal->subject.name : "nobody");
  }, {.kind = iam::ResourceKind::nodes, .verb = iam::Verb::write});
  router.set_guard({.admit = [](Request& r, const Route& route) -> std::optional<Response> {
                      EXPECT_EQ(route.options.kind, iam::ResourceKind::nodes);
                      if (!r.header("Authorization")) return text("refused");
                      r.principal = iam::Principal{.subject = {iam::SubjectKind::user, "alice"}};
                      return std::nullopt;
                    },
                    .after = [&seen](const Request&, const Route&, const Response& res) { seen.push_back(res.status); }});
  Request anonymous;
  anonymous.method = Method::POST;
  anonymous.path = "/api/v1/nodes";
  EXPECT_EQ(router.dispatch(anonymous).body, "refused");
  EXPECT_EQ(handled, 0);
  EXPECT_TRUE(seen.empty());  // refusals are the guard's own business (it audits them)

  Request alice = anonymous;
  alice.headers["Authorization"] = "Bearer x";
  EXPECT_EQ(router.dispatch(alice).body, "alice");
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(seen, std::vector<int>{200});
}

}  // namespace
}  // namespace iotwins::api
