// A server on a free loopback port and a client for it, for tests that need real sockets.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "api/http_client.h"
#include "api/http_server.h"

namespace iotwins::api::testing_support {

struct LocalServer {
  std::unique_ptr<HttpServer> server;
  std::string url;  // http://127.0.0.1:port

  // Empty (and the test failed) when the server could not start.
  static LocalServer start(const Router& router, ServerOptions options) {
    options.listen = "127.0.0.1:0";
    auto s = HttpServer::start(options, router);
    EXPECT_TRUE(s) << s.error().to_string();
    if (!s) return {};
    std::string url = "http://" + (*s)->address();
    return {std::move(*s), url};
  }

  std::unique_ptr<HttpClient> client() const {
    auto c = HttpClient::create(url);
    EXPECT_TRUE(c);
    return c ? std::move(*c) : nullptr;
  }
};

}  // namespace iotwins::api::testing_support
