// Streamed (chunked) responses: large bodies, backpressure, client disconnects, errors after
// output, HTTP/1.0, keep-alive after a stream, and streams cut at shutdown.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "api/http_client.h"
#include "api/http_server.h"
#include "local_server.h"
#include "raw_socket.h"

namespace iotwins::api {
namespace {

using testing_support::LocalServer;
using testing_support::RawSocket;

constexpr size_t kPiece = 64 * 1024;

// Piece i is kPiece bytes of the letter 'a' + i % 26, so order and completeness are checkable.
std::string piece(size_t i) { return std::string(kPiece, static_cast<char>('a' + i % 26)); }

bool eventually(const std::function<bool()>& cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add(Method::GET, "/pieces", [](Request& r) {
      size_t n = std::stoul(*r.query_param("n"));
      Response res;
      res.content_type = "text/plain";
      res.stream = [n](const ChunkWriter& write) -> Status {
        for (size_t i = 0; i < n; ++i) {
          if (!write(piece(i))) return ok();
        }
        return ok();
      };
      return res;
    }, {.public_route = true});
    router_.add(Method::GET, "/endless", [this](Request&) {
      Response res;
      res.stream = [this](const ChunkWriter& write) -> Status {
        while (write(piece(pieces_.load()))) pieces_.fetch_add(1);
        producer_done_ = true;
        return ok();
      };
      return res;
    }, {.public_route = true});
    router_.add(Method::GET, "/broken", [](Request&) {
      Response res;
      res.stream = [](const ChunkWriter& write) -> Status {
        write(piece(0));
        return make_error(Errc::io_error, "disk went away");
      };
      return res;
    }, {.public_route = true});
    router_.add(Method::GET, "/plain", [](Request&) {
      Response res;
      res.body = "plain";
      return res;
    }, {.public_route = true});
    ServerOptions o;
    o.worker_threads = 2;
    o.shutdown_grace = std::chrono::milliseconds(200);
    local_ = LocalServer::start(router_, o);
    ASSERT_TRUE(local_.server);
    server_ = local_.server.get();
  }

  std::unique_ptr<HttpClient> client() { return local_.client(); }

  Router router_;
  LocalServer local_;
  HttpServer* server_ = nullptr;
  std::atomic<size_t> pieces_{0};
  std::atomic<bool> producer_done_{false};
};

TEST_F(StreamTest, AMultiMegabyteStreamArrivesWholeAndInOrder) {
  const size_t n = 128;  // 8 MiB
  auto c = client();
  auto r = c->request(Method::GET, "/pieces?n=" + std::to_string(n));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  ASSERT_NE(r->headers.find("Transfer-Encoding"), r->headers.end());
  EXPECT_EQ(r->headers.at("Transfer-Encoding"), "chunked");
  ASSERT_EQ(r->body.size(), n * kPiece);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(r->body.substr(i * kPiece, kPiece), piece(i)) << i;

  // The streaming read hands over pieces without ever holding the whole body.
  size_t total = 0, largest = 0;
  std::string expected_prefix = piece(0).substr(0, 10);
  std::string first;
  auto s = c->request_streaming(Method::GET, "/pieces?n=" + std::to_string(n), [&](std::string_view p) {
    if (first.empty()) first = std::string(p.substr(0, 10));
    total += p.size();
    largest = std::max(largest, p.size());
    return true;
  });
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->status, 200);
  EXPECT_TRUE(s->body.empty());
  EXPECT_EQ(total, n * kPiece);
  EXPECT_LE(largest, kPiece);
  EXPECT_EQ(first, expected_prefix);
  // The connection is still usable afterwards (keep-alive after a complete stream).
  auto plain = c->request(Method::GET, "/plain");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->body, "plain");
}

TEST_F(StreamTest, AClientThatGoesAwayStopsTheProducer) {
  auto c = client();
  size_t received = 0;
  auto r = c->request_streaming(Method::GET, "/endless", [&](std::string_view p) {
    received += p.size();
    return received < 1024 * 1024;  // 1 MiB, then hang up
  });
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_GE(received, 1024u * 1024);
  EXPECT_TRUE(eventually([&] { return producer_done_.load(); }))
      << "the producer kept running after the client left (" << pieces_.load() << " pieces)";
}

TEST_F(StreamTest, AnErrorAfterOutputCutsTheResponseInsteadOfEndingItCleanly) {
  auto c = client();
  auto r = c->request(Method::GET, "/broken");
  EXPECT_FALSE(r) << "a broken stream was read as a complete " << r->body.size() << "-byte response";
  // The server is fine afterwards.
  auto plain = c->request(Method::GET, "/plain");
  ASSERT_TRUE(plain) << plain.error().to_string();
  EXPECT_EQ(plain->status, 200);
}

TEST_F(StreamTest, Http10ClientsGetTheRawBodyEndedByClose) {
  RawSocket s(server_->address());
  ASSERT_TRUE(s.connected());
  s.send("GET /pieces?n=3 HTTP/1.0\r\n\r\n");
  std::string all = s.read_all(16 << 20);
  size_t head_end = all.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << all.substr(0, 200);
  std::string head = all.substr(0, head_end);
  EXPECT_EQ(head.find("chunked"), std::string::npos) << head;
  EXPECT_EQ(all.substr(head_end + 4), piece(0) + piece(1) + piece(2));
}

TEST_F(StreamTest, StopCutsAStreamWhoseClientStopsReading) {
  RawSocket s(server_->address());
  ASSERT_TRUE(s.connected());
  s.send("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n");
  // The producer runs until the socket buffers are full, then blocks in write().
  ASSERT_TRUE(eventually([&] { return pieces_.load() > 0; }));
  server_->stop();  // returns only once the producer is back in the pool
  EXPECT_TRUE(producer_done_.load());
}

}  // namespace
}  // namespace iotwins::api
