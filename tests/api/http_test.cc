#include "api/http.h"

#include <gtest/gtest.h>

#include "api/http_client.h"
#include "api/http_server.h"

namespace iotwins::api {
namespace {

TEST(Http, ParseTargetDecodesPathAndQuery) {
  auto t = parse_target("/api/v1/twins/pump%201?filter=a%20%3D%3D%201&x=&flag&y=1+2");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->first, "/api/v1/twins/pump 1");
  EXPECT_EQ(t->second.at("filter"), "a == 1");
  EXPECT_EQ(t->second.at("x"), "");
  EXPECT_EQ(t->second.at("flag"), "");
  EXPECT_EQ(t->second.at("y"), "1 2");
}

TEST(Http, ParseTargetRejectsBadEscapes) {
  EXPECT_FALSE(parse_target("/a%zz"));
  EXPECT_FALSE(parse_target("/a?b=%4"));
  auto r = parse_target("/a?from=%G1");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("'from'"), std::string::npos);
  EXPECT_FALSE(parse_target("no-slash"));
}

TEST(Http, StatusMappingRoundTrips) {
  EXPECT_EQ(http_status(Errc::invalid_argument), 400);
  EXPECT_EQ(http_status(Errc::not_found), 404);
  EXPECT_EQ(http_status(Errc::conflict), 409);
  EXPECT_EQ(http_status(Errc::too_large), 413);
  EXPECT_EQ(http_status(Errc::unavailable), 503);
  for (Errc c : {Errc::invalid_argument, Errc::not_found, Errc::conflict, Errc::too_large,
                 Errc::unauthenticated, Errc::permission_denied, Errc::unavailable}) {
    EXPECT_EQ(errc_from_status(http_status(c)), c == Errc::already_exists ? Errc::conflict : c);
  }
}

TEST(Http, HeadersAreCaseInsensitive) {
  Headers h;
  h["Content-Type"] = "x";
  EXPECT_EQ(h.count("content-type"), 1u);
  EXPECT_EQ(h.count("CONTENT-TYPE"), 1u);
}

TEST(Http, UrlAndHostPortParsing) {
  auto u = parse_url("https://example.org:8443/base/");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "example.org");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->base_path, "/base");
  auto v = parse_url("http://[::1]:80");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->host, "::1");
  EXPECT_EQ(parse_url("http://h")->port, 80);
  EXPECT_FALSE(parse_url("ftp://h"));
  EXPECT_FALSE(parse_url("http://h:99999"));
  auto hp = split_host_port("127.0.0.1:0");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->second, 0);
  EXPECT_FALSE(split_host_port("nohost"));
  EXPECT_FALSE(split_host_port("h:port"));
}

}  // namespace
}  // namespace iotwins::api
