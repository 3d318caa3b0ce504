#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "api/http_client.h"
#include "api/http_server.h"
#include "api/problem.h"
#include "raw_socket.h"

namespace iotwins::api {
namespace {

using testing_support::RawSocket;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add(Method::GET, "/hello", [](Request& r) {
      Response res;
      res.content_type = "text/plain";
      res.body = "hello " + (r.query_param("name") ? *r.query_param("name") : std::string("world"));
      return res;
    }, {.public_route = true});
    router_.add(Method::POST, "/echo", [](Request& r) {
      auto j = parse_json_body(r);
      if (!j) return problem(j.error());
      return json_response(200, *j);
    }, {.public_route = true});
    router_.add(Method::POST, "/small", [](Request& r) { return json_response(200, r.body.size()); },
                {.max_body = 16, .public_route = true});
    router_.add(Method::GET, "/slow", [this](Request&) {
      std::unique_lock lock(mu_);
      slow_started_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return release_; });
      return json_response(200, "done");
    }, {.public_route = true});
    router_.websocket("/ws/{name}", [this](const Request& req, std::shared_ptr<WebSocketConnection> ws) {
      std::string name = req.param("name");
      ws->on_message([ws, name](std::string msg) { ws->send(name + ":" + msg); });
      ws_count_.fetch_add(1);
    }, {.public_route = true});
    // A WebSocket route that also answers plain GETs (the node watch's shape).
    router_.websocket(
        "/both/{name}",
        [this](const Request& req, std::shared_ptr<WebSocketConnection> ws) {
          ws->send("pushed " + req.param("name"));
          ws_count_.fetch_add(1);
        },
        {.public_route = true}, [](Request& req) { return json_response(200, "plain " + req.param("name")); });
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.max_body_bytes = 1024;
    o.max_header_bytes = 2048;
    o.header_timeout = std::chrono::milliseconds(300);
    o.worker_threads = 2;
    auto s = HttpServer::start(o, router_);
    ASSERT_TRUE(s) << s.error().to_string();
    server_ = std::move(*s);
    url_ = "http://" + server_->address();
  }

  std::unique_ptr<HttpClient> client() {
    auto c = HttpClient::create(url_);
    EXPECT_TRUE(c);
    return std::move(*c);
  }

  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::string url_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool slow_started_ = false;
  bool release_ = false;
  std::atomic<int> ws_count_{0};
};

TEST_F(ServerTest, ServesRequestsOverKeepAlive) {
  auto c = client();
  for (int i = 0; i < 3; ++i) {
    auto r = c->request(Method::GET, "/hello?name=plant%20" + std::to_string(i));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello plant " + std::to_string(i));
  }
}

TEST_F(ServerTest, JsonBodiesRoundTrip) {
  auto r = client()->request(Method::POST, "/echo", R"({"a":[1,2,{"b":null}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body), nlohmann::json::parse(R"({"a":[1,2,{"b":null}]})"));
}

TEST_F(ServerTest, MalformedJsonIs400SayingWhere) {
  auto r = client()->request(Method::POST, "/echo", "{\n  \"a\": [1, 2,\n}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->headers["Content-Type"], "application/problem+json");
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["code"], "invalid_argument");
  EXPECT_NE(j["detail"].get<std::string>().find("line 3"), std::string::npos) << j["detail"];
}

TEST_F(ServerTest, BodyOverTheLimitIs413) {
  auto big = client()->request(Method::POST, "/echo", std::string(4096, 'x'));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(nlohmann::json::parse(big->body)["code"], "too_large");
  auto route_limit = client()->request(Method::POST, "/small", std::string(17, 'x'));
  ASSERT_TRUE(route_limit);
  EXPECT_EQ(route_limit->status, 413);
  auto fits = client()->request(Method::POST, "/small", std::string(16, 'x'));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitIs413) {
  RawSocket s(server_->address());
  ASSERT_TRUE(s.connected());
  std::string chunk(2000, 'y');
  char size[16];
  snprintf(size, sizeof size, "%zx", chunk.size());
  s.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(size) +
         "\r\n" + chunk + "\r\n0\r\n\r\n");
  std::string reply = s.read_all();
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply.substr(0, 80);
}

TEST_F(ServerTest, UnknownRouteAndWrongMethod) {
  auto c = client();
  auto r404 = c->request(Method::GET, "/nope");
  ASSERT_TRUE(r404);
  EXPECT_EQ(r404->status, 404);
  EXPECT_EQ(r404->headers["Content-Type"], "application/problem+json");
  auto r405 = c->request(Method::DELETE, "/hello");
  ASSERT_TRUE(r405);
  EXPECT_EQ(r405->status, 405);
  EXPECT_EQ(r405->headers["Allow"], "GET");
}

TEST_F(ServerTest, OversizedHeaderIs431AndGarbageIs400) {
  {
    RawSocket s(server_->address());
    s.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
    EXPECT_EQ(s.read_all().rfind("HTTP/1.1 431", 0), 0u);
  }
  {
    RawSocket s(server_->address());
    s.send("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(s.read_all().rfind("HTTP/1.1 400", 0), 0u);
  }
  {
    RawSocket s(server_->address());
    s.send("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string reply = s.read_all();
    EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u);
    EXPECT_NE(reply.find("percent-escape"), std::string::npos);
  }
}

TEST_F(ServerTest, SlowClientIsCutAtTheHeaderTimeout) {
  RawSocket s(server_->address());
  s.send("GET /hello HTTP/1.1\r\nHost: x\r\n");  // never finishes its header
  EXPECT_EQ(s.read_all(), "");                   // closed by the server, no answer
}

TEST_F(ServerTest, StopLetsRequestsInFlightFinish) {
  auto fut = std::async(std::launch::async, [this] { return client()->request(Method::GET, "/slow"); });
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return slow_started_; });
  }
  auto stopper = std::async(std::launch::async, [this] { server_->stop(); });
  {
    std::lock_guard lock(mu_);
    release_ = true;
  }
  cv_.notify_all();
  auto r = fut.get();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  stopper.get();
  auto after = HttpClient::create(url_, {.connect_timeout = std::chrono::milliseconds(500)});
  EXPECT_FALSE((*after)->request(Method::GET, "/hello"));
}

TEST_F(ServerTest, PortInUseIsAClearError) {
  ServerOptions o;
  o.listen = server_->address();
  auto second = HttpServer::start(o, router_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), Errc::already_exists);
  EXPECT_NE(second.error().message().find("--listen"), std::string::npos);
}

TEST_F(ServerTest, WebSocketExchangesMessages) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> got;
  std::string closed;
  auto ws = WebSocketClient::connect(
      url_, "/ws/agent-1", {},
      [&](std::string m) {
        std::lock_guard lock(mu);
        got.push_back(std::move(m));
        cv.notify_all();
      },
      [&](std::string reason) {
        std::lock_guard lock(mu);
        closed = reason.empty() ? "closed" : reason;
        cv.notify_all();
      });
  ASSERT_TRUE(ws) << ws.error().to_string();
  ASSERT_TRUE((*ws)->send("one"));
  ASSERT_TRUE((*ws)->send("two"));
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return got.size() == 2; });
  EXPECT_EQ(got, (std::vector<std::string>{"agent-1:one", "agent-1:two"}));
  EXPECT_EQ(ws_count_.load(), 1);
}

TEST_F(ServerTest, WebSocketRouteWithAPlainHandlerServesBoth) {
  auto r = client()->request(Method::GET, "/both/n1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body), "plain n1");
  std::mutex mu;
  std::condition_variable cv;
  std::string got;
  auto ws = WebSocketClient::connect(
      url_, "/both/n2", {},
      [&](std::string m) {
        std::lock_guard lock(mu);
        got = std::move(m);
        cv.notify_all();
      },
      [&](std::string) { cv.notify_all(); });
  ASSERT_TRUE(ws) << ws.error().to_string();
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return !got.empty(); }));
  EXPECT_EQ(got, "pushed n2");
  EXPECT_EQ(ws_count_.load(), 1);
}

TEST_F(ServerTest, WebSocketRouteWithoutUpgradeIs400) {
  auto r = client()->request(Method::GET, "/ws/x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST(Client, ConnectionRefusedIsUnavailable) {
  // Bind a port, then close it so nothing listens there.
  Router router;
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  std::string address;
  {
    auto s = HttpServer::start(o, router);
    ASSERT_TRUE(s);
    address = (*s)->address();
  }
  auto c = HttpClient::create("http://" + address);
  ASSERT_TRUE(c);
  auto r = (*c)->request(Method::GET, "/");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::unavailable);
}

}  // namespace
}  // namespace iotwins::api
