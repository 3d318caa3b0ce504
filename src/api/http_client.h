// HttpClient: a blocking HTTP/1.1 client for one base URL (http:// or https://) with
// keep-alive, timeouts and TLS verification — what the agent and the CLI use to talk to the
// server. Thread-safe (one request at a time per client; use one client per thread for
// parallel calls).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/http.h"
#include "core/result.h"

namespace iotwins::api {

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{30'000};
  std::string ca_file;           // verify the server against this CA (https); empty: system CAs
  std::string client_cert_file;  // mTLS: present this certificate
  std::string client_key_file;
  std::string bearer_token;      // sent as Authorization: Bearer …
  size_t max_response_bytes = 64 * 1024 * 1024;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
  bool ok() const { return status >= 200 && status < 300; }
};

struct Url {
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  std::string base_path;  // without a trailing '/'
};
Result<Url> parse_url(std::string_view url);

class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> create(std::string base_url, ClientOptions options = {});
  virtual ~HttpClient() = default;

  // Sends a request to base path + `path` ("/api/v1/nodes"). A transport failure (connect,
  // TLS, timeout) is an Error (unavailable / timeout); any HTTP status is a response.
  virtual Result<ClientResponse> request(Method method, const std::string& path,
                                         const std::string& body = "",
                                         const std::string& content_type = "application/json",
                                         const Headers& headers = {}) = 0;
  // Like request() without a body, but a 2xx body is handed to `on_data` piece by piece as it
  // arrives (chunked or not), so a large or endless response is read with bounded memory; the
  // returned response then has an empty body. A non-2xx body is returned whole, as by
  // request(). request_timeout applies to each read, not to the whole response. on_data
  // returning false stops reading and drops the connection (the answer is then incomplete).
  using DataSink = std::function<bool(std::string_view piece)>;
  virtual Result<ClientResponse> request_streaming(Method method, const std::string& path,
                                                   const DataSink& on_data, const Headers& headers = {}) = 0;
  virtual void set_bearer_token(std::string token) = 0;
  virtual const std::string& base_url() const = 0;
};

// A WebSocket client for server pushes (the agent's watch). Messages arrive on a background
// thread; on_close fires once, when the connection ends for any reason.
class WebSocketClient {
 public:
  static Result<std::unique_ptr<WebSocketClient>> connect(
      const std::string& base_url, const std::string& path, ClientOptions options,
      std::function<void(std::string)> on_message, std::function<void(std::string reason)> on_close);
  virtual ~WebSocketClient() = default;
  virtual Status send(const std::string& text) = 0;
  virtual void close() = 0;
};

// Error from a non-2xx response with a problem+json body: keeps its code and detail.
Error error_from_response(const ClientResponse& response, std::string_view what);

}  // namespace iotwins::api
