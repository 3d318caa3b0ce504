// HttpServer: asynchronous HTTP/1.1 + WebSocket server (Boost.Beast), plain or TLS.
// Threading: `io_threads` run the sockets (parsing, writing, WebSocket frames); handlers run on
// a bounded pool of `worker_threads`, so a slow handler never stalls I/O. When more than
// `max_queued` requests wait for a worker the server answers 503 with Retry-After; beyond
// `max_connections` new connections are closed at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/router.h"
#include "core/result.h"

namespace iotwins::api {

struct ServerOptions {
  std::string listen = "127.0.0.1:8470";  // host:port; port 0 picks a free one
  int io_threads = 1;
  int worker_threads = 4;
  size_t max_queued = 512;
  size_t max_connections = 2048;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds header_timeout{10'000};  // whole header of a new connection
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive wait for the next request
  std::chrono::milliseconds shutdown_grace{5'000};
  // TLS: both set → HTTPS only. client_ca set as well → clients must present a certificate
  // signed by it (mTLS); its subject CN is passed to handlers as header X-Client-CN.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // With client_ca: a certificate is optional — one presented must verify (else the handshake
  // fails), but clients without one are served and authenticate otherwise (a bearer token; a
  // node joining has no certificate yet). Request::peer_subject tells which case it is.
  bool tls_client_cert_optional = false;
  // Asked during the handshake with the serial (lower-case hex, no leading zeros) of a client
  // certificate that verified; true refuses it (a revoked node). Called on an I/O thread.
  std::function<bool(const std::string& serial)> client_cert_revoked;
};

// A server-side WebSocket. send() and close() are thread-safe; callbacks run on an I/O thread
// and must not block.
class WebSocketConnection {
 public:
  virtual ~WebSocketConnection() = default;
  virtual void send(std::string text) = 0;
  virtual void close() = 0;
  virtual bool is_open() const = 0;
  virtual void on_message(std::function<void(std::string)> fn) = 0;
  virtual void on_close(std::function<void()> fn) = 0;
};

class HttpServer {
 public:
  // Binds and starts serving; fails with a clear error if the address is taken.
  static Result<std::unique_ptr<HttpServer>> start(ServerOptions options, const Router& router);
  virtual ~HttpServer() = default;
  // The bound address, "127.0.0.1:41234" (the real port when 0 was asked).
  virtual std::string address() const = 0;
  virtual bool tls() const = 0;
  // Stops accepting, lets requests in flight finish (up to shutdown_grace), closes the rest.
  virtual void stop() = 0;
};

// "host:port" → (host, port); errors name the text.
Result<std::pair<std::string, uint16_t>> split_host_port(std::string_view text);

}  // namespace iotwins::api
