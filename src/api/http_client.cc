// The Beast side of HttpClient and WebSocketClient.
#include "api/http_client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

#include <charconv>
#include <limits>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "core/log.h"

namespace iotwins::api {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

Result<Url> parse_url(std::string_view url) {
  Url out;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return make_error(Errc::invalid_argument,
                      "URL '" + std::string(url) + "' must start with http:// or https://");
  }
  size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos) out.base_path = std::string(rest.substr(slash));
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  size_t colon = hostport.rfind(':');
  bool bracketed = !hostport.empty() && hostport.front() == '[';
  if (colon != std::string_view::npos && (!bracketed || hostport[colon - 1] == ']')) {
    std::string_view p = hostport.substr(colon + 1);
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || ptr != p.data() + p.size() || port == 0 || port > 65535) {
      return make_error(Errc::invalid_argument, "URL '" + std::string(url) + "' has an invalid port");
    }
    out.port = static_cast<uint16_t>(port);
    out.host = std::string(hostport.substr(0, colon));
  } else {
    out.host = std::string(hostport);
    out.port = out.tls ? 443 : 80;
  }
  if (out.host.size() > 2 && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty()) return make_error(Errc::invalid_argument, "URL '" + std::string(url) + "' has no host");
  return out;
}

Error error_from_response(const ClientResponse& response, std::string_view what) {
  std::string detail;
  try {
    auto j = nlohmann::json::parse(response.body);
    if (j.is_object() && j.contains("detail") && j["detail"].is_string()) detail = j["detail"];
  } catch (const nlohmann::json::exception&) {
  }
  if (detail.empty()) detail = response.body.substr(0, 200);
  return Error(errc_from_status(response.status),
               std::string(what) + ": HTTP " + std::to_string(response.status) +
                   (detail.empty() ? "" : ": " + detail));
}

namespace {

Result<std::unique_ptr<ssl::context>> make_client_tls(const ClientOptions& o) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  if (o.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(o.ca_file, ec);
  }
  if (ec) return make_error(Errc::invalid_argument, "TLS CA " + o.ca_file + ": " + ec.message());
  if (!o.client_cert_file.empty()) {
    ctx->use_certificate_chain_file(o.client_cert_file, ec);
    if (!ec) ctx->use_private_key_file(o.client_key_file, ssl::context::pem, ec);
    if (ec) return make_error(Errc::invalid_argument, "TLS client certificate: " + ec.message());
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

// Sets SNI and the name (or IP) the server certificate must carry.
Status verify_host(SSL* ssl_handle, const std::string& host) {
  beast::error_code ec;
  (void)net::ip::make_address(host, ec);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
  if (!ec) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_handle, host.c_str());
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
  return ok();
}

// Runs the io_context until the started operation completes or the deadline passes.
template <class Stream>
class Connection {
 public:
  Connection(net::io_context& ioc, ssl::context* tls) : stream_(make(ioc, tls)) {}
  Stream& stream() { return stream_; }
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

 private:
  static Stream make(net::io_context& ioc, ssl::context* tls) {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      (void)tls;
      return Stream(ioc);
    } else {
      return Stream(ioc, *tls);
    }
  }
  Stream stream_;
};

class BeastClient final : public HttpClient {
 public:
  BeastClient(std::string base, Url url, ClientOptions o, std::unique_ptr<ssl::context> tls)
      : base_(std::move(base)), url_(std::move(url)), options_(std::move(o)), tls_(std::move(tls)) {
    if (!options_.client_cert_file.empty()) cert_modified_ = modified(options_.client_cert_file);
  }

  const std::string& base_url() const override { return base_; }
  void set_bearer_token(std::string token) override {
    std::lock_guard lock(mu_);
    options_.bearer_token = std::move(token);
  }

  Result<ClientResponse> request(Method method, const std::string& path, const std::string& body,
                                 const std::string& content_type, const Headers& headers) override {
    std::lock_guard lock(mu_);
    // A kept-alive connection may have been closed by the server meanwhile: retry once on a
    // fresh one, but only for requests that were never answered.
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = plain_ || tls_conn_;
      auto r = tls_ ? run<ssl_stream>(tls_conn_, method, path, body, content_type, headers)
                    : run<beast::tcp_stream>(plain_, method, path, body, content_type, headers);
      if (r || !reused || r.error().code() == Errc::timeout) return r;
    }
    return make_error(Errc::unavailable, "request to " + base_ + path + " failed");
  }

  Result<ClientResponse> request_streaming(Method method, const std::string& path, const DataSink& on_data,
                                           const Headers& headers) override {
    std::lock_guard lock(mu_);
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = plain_ || tls_conn_;
      bool started = false;  // once a piece was delivered, never retry (it would repeat data)
      auto r = tls_ ? run_streaming<ssl_stream>(tls_conn_, method, path, on_data, headers, started)
                    : run_streaming<beast::tcp_stream>(plain_, method, path, on_data, headers, started);
      if (r || !reused || started || r.error().code() == Errc::timeout) return r;
    }
    return make_error(Errc::unavailable, "request to " + base_ + path + " failed");
  }

 private:
  using ssl_stream = beast::ssl_stream<beast::tcp_stream>;

  static std::filesystem::file_time_type modified(const std::string& path) {
    std::error_code ec;
    auto t = std::filesystem::last_write_time(path, ec);
    return ec ? std::filesystem::file_time_type::min() : t;
  }
  // A client certificate renewed on disk (an agent's rotation rewrites the file) is used from
  // the next connection on; a connection made with the old one keeps its own context.
  void reload_client_certificate() {
    if (options_.client_cert_file.empty()) return;
    auto now = modified(options_.client_cert_file);
    if (now == cert_modified_) return;
    if (auto ctx = make_client_tls(options_)) tls_ = std::move(*ctx);
    cert_modified_ = now;
  }

  template <class Stream>
  Status connect(std::unique_ptr<Connection<Stream>>& conn) {
    if constexpr (std::is_same_v<Stream, ssl_stream>) reload_client_certificate();
    conn = std::make_unique<Connection<Stream>>(ioc_, tls_.get());
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(url_.host, std::to_string(url_.port), ec);
    if (ec) return make_error(Errc::unavailable, "resolve " + url_.host + ": " + ec.message());
    conn->tcp().expires_after(options_.connect_timeout);
    conn->tcp().async_connect(results, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    ioc_.restart();
    ioc_.run();
    if (ec) {
      conn.reset();
      Errc code = ec == beast::error::timeout ? Errc::timeout : Errc::unavailable;
      return make_error(code, "connect to " + base_ + ": " + ec.message());
    }
    if constexpr (std::is_same_v<Stream, ssl_stream>) {
      IOT_TRY(verify_host(conn->stream().native_handle(), url_.host));
      conn->stream().async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
      ioc_.restart();
      ioc_.run();
      if (ec) {
        conn.reset();
        return make_error(Errc::unavailable, "TLS handshake with " + base_ + ": " + ec.message());
      }
    }
    return ok();
  }

  template <class Stream>
  Result<ClientResponse> run(std::unique_ptr<Connection<Stream>>& conn, Method method,
                             const std::string& path, const std::string& body,
                             const std::string& content_type, const Headers& headers) {
    if (!conn) IOT_TRY(connect(conn));
    beast::error_code ec;
    send(*conn, method, path, body, content_type, headers, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    if (!ec) {
      http::async_read(conn->stream(), buffer_, parser, [&](beast::error_code e, size_t) { ec = e; });
      ioc_.restart();
      ioc_.run();
    }
    if (ec) return failed(conn, method, path, ec);
    auto& res = parser.get();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) out.headers[std::string(f.name_string())] = std::string(f.value());
    out.body = std::move(res.body());
    if (!res.keep_alive()) {
      conn.reset();
      buffer_.clear();
    }
    return out;
  }

  template <class Stream>
  Result<ClientResponse> run_streaming(std::unique_ptr<Connection<Stream>>& conn, Method method,
                                       const std::string& path, const DataSink& on_data,
                                       const Headers& headers, bool& started) {
    if (!conn) IOT_TRY(connect(conn));
    beast::error_code ec;
    send(*conn, method, path, "", "", headers, ec);
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (!ec) read_some(*conn, parser, ec, true);
    if (ec) return failed(conn, method, path, ec);
    ClientResponse out;
    out.status = static_cast<int>(parser.get().result_int());
    for (const auto& f : parser.get()) out.headers[std::string(f.name_string())] = std::string(f.value());
    const bool deliver = out.ok();
    std::vector<char> piece(64 * 1024);
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      read_some(*conn, parser, ec, false);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) return failed(conn, method, path, ec);
      size_t n = piece.size() - parser.get().body().size;
      if (n == 0) continue;
      if (!deliver) {
        if (out.body.size() + n > options_.max_response_bytes) {
          return failed(conn, method, path, http::error::body_limit);
        }
        out.body.append(piece.data(), n);
      } else {
        started = true;
        if (!on_data(std::string_view(piece.data(), n))) {
          conn.reset();  // the rest of the body is unread: the connection cannot be reused
          buffer_.clear();
          return out;
        }
      }
    }
    if (!parser.get().keep_alive()) {
      conn.reset();
      buffer_.clear();
    }
    return out;
  }

  template <class Stream, class Parser>
  void read_some(Connection<Stream>& conn, Parser& parser, beast::error_code& ec, bool header) {
    conn.tcp().expires_after(options_.request_timeout);
    auto done = [&](beast::error_code e, size_t) { ec = e; };
    if (header) {
      http::async_read_header(conn.stream(), buffer_, parser, done);
    } else {
      // Whatever has arrived: a live stream (SSE) must not wait for a full buffer.
      http::async_read_some(conn.stream(), buffer_, parser, done);
    }
    ioc_.restart();
    ioc_.run();
  }

  template <class Stream>
  std::unexpected<Error> failed(std::unique_ptr<Connection<Stream>>& conn, Method method,
                                const std::string& path, beast::error_code ec) {
    conn.reset();
    buffer_.clear();
    Errc code = ec == beast::error::timeout ? Errc::timeout : Errc::unavailable;
    return make_error(code, std::string(to_string(method)) + " " + base_ + path + ": " + ec.message());
  }

  template <class Stream>
  void send(Connection<Stream>& conn, Method method, const std::string& path, const std::string& body,
            const std::string& content_type, const Headers& headers, beast::error_code& ec) {
    http::request<http::string_body> req{http::string_to_verb(std::string(to_string(method))),
                                         url_.base_path + path, 11};
    req.set(http::field::host, url_.host + ":" + std::to_string(url_.port));
    req.set(http::field::user_agent, "iotwins");
    if (!options_.bearer_token.empty()) req.set(http::field::authorization, "Bearer " + options_.bearer_token);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == Method::POST || method == Method::PUT || method == Method::PATCH) {
      req.set(http::field::content_type, content_type);
      req.body() = body;
      req.prepare_payload();
    }
    req.keep_alive(true);
    conn.tcp().expires_after(options_.request_timeout);
    http::async_write(conn.stream(), req, [&](beast::error_code e, size_t) { ec = e; });
    ioc_.restart();
    ioc_.run();
  }

  std::mutex mu_;
  std::string base_;
  Url url_;
  ClientOptions options_;
  std::unique_ptr<ssl::context> tls_;
  std::filesystem::file_time_type cert_modified_ = std::filesystem::file_time_type::min();
  net::io_context ioc_;
  beast::flat_buffer buffer_;
  std::unique_ptr<Connection<beast::tcp_stream>> plain_;
  std::unique_ptr<Connection<ssl_stream>> tls_conn_;
};

template <class Stream>
class BeastWebSocket final : public WebSocketClient {
 public:
  BeastWebSocket(std::unique_ptr<ssl::context> tls, std::function<void(std::string)> on_message,
                 std::function<void(std::string)> on_close)
      : tls_(std::move(tls)), ws_(make()), on_message_(std::move(on_message)), on_close_(std::move(on_close)) {}

  ~BeastWebSocket() override {
    close();
    if (thread_.joinable()) thread_.join();
  }

  Status connect(const Url& url, const std::string& path, const ClientOptions& o) {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(url.host, std::to_string(url.port), ec);
    if (ec) return make_error(Errc::unavailable, "resolve " + url.host + ": " + ec.message());
    auto& tcp = beast::get_lowest_layer(ws_);
    tcp.expires_after(o.connect_timeout);
    tcp.connect(results, ec);
    if (ec) return make_error(Errc::unavailable, "connect to " + url.host + ": " + ec.message());
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      IOT_TRY(verify_host(ws_.next_layer().native_handle(), url.host));
      ws_.next_layer().handshake(ssl::stream_base::client, ec);
      if (ec) return make_error(Errc::unavailable, "TLS handshake: " + ec.message());
    }
    tcp.expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    std::string token = o.bearer_token;
    ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      req.set(http::field::user_agent, "iotwins");
      if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    }));
    websocket::response_type res;
    ws_.handshake(res, url.host + ":" + std::to_string(url.port), url.base_path + path, ec);
    if (ec) {
      int status = static_cast<int>(res.result_int());
      return make_error(status ? errc_from_status(status) : Errc::unavailable,
                        "WebSocket handshake for " + path + ": " + ec.message() +
                            (status ? " (HTTP " + std::to_string(status) + ")" : ""));
    }
    read();
    thread_ = std::thread([this] { ioc_.run(); });
    return ok();
  }

  Status send(const std::string& text) override {
    net::post(ioc_, [this, text] {
      queue_.push_back(text);
      if (queue_.size() == 1) write_next();
    });
    return ok();
  }

  // The close handshake, bounded: a peer that does not answer the close frame (busy, or gone
  // without a FIN) must not hold the caller — the socket is shut after kCloseWait either way.
  void close() override {
    net::post(ioc_, [this] {
      if (closed_ || closing_) return;
      closing_ = true;
      close_timer_.expires_after(kCloseWait);
      close_timer_.async_wait([this](beast::error_code ec) {
        if (!ec) finish("closed by client (the peer did not answer the close frame)");
      });
      ws_.async_close(websocket::close_code::normal, [this](beast::error_code) { finish("closed by client"); });
    });
  }

 private:
  Stream make() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      return Stream(ioc_);
    } else {
      return Stream(ioc_, *tls_);
    }
  }

  void read() {
    ws_.async_read(buffer_, [this](beast::error_code ec, size_t) {
      if (ec) return finish(ec.message());
      std::string text = beast::buffers_to_string(buffer_.data());
      buffer_.consume(buffer_.size());
      if (on_message_) on_message_(std::move(text));
      read();
    });
  }

  void write_next() {
    ws_.text(true);
    ws_.async_write(net::buffer(queue_.front()), [this](beast::error_code ec, size_t) {
      if (ec) return finish(ec.message());
      queue_.pop_front();
      if (!queue_.empty()) write_next();
    });
  }

  void finish(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    close_timer_.cancel();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
    if (on_close_) on_close_(reason);
  }

  static constexpr std::chrono::seconds kCloseWait{2};

  net::io_context ioc_;
  std::unique_ptr<ssl::context> tls_;
  websocket::stream<Stream> ws_;
  net::steady_timer close_timer_{ioc_};
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool closed_ = false;
  bool closing_ = false;
  std::function<void(std::string)> on_message_;
  std::function<void(std::string)> on_close_;
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<HttpClient>> HttpClient::create(std::string base_url, ClientOptions options) {
  IOT_ASSIGN(Url url, parse_url(base_url));
  std::unique_ptr<ssl::context> tls;
  if (url.tls) {
    IOT_ASSIGN(tls, make_client_tls(options));
  }
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  return std::unique_ptr<HttpClient>(
      std::make_unique<BeastClient>(std::move(base_url), std::move(url), std::move(options), std::move(tls)));
}

Result<std::unique_ptr<WebSocketClient>> WebSocketClient::connect(
    const std::string& base_url, const std::string& path, ClientOptions options,
    std::function<void(std::string)> on_message, std::function<void(std::string)> on_close) {
  IOT_ASSIGN(Url url, parse_url(base_url));
  if (url.tls) {
    IOT_ASSIGN(auto tls, make_client_tls(options));
    auto ws = std::make_unique<BeastWebSocket<beast::ssl_stream<beast::tcp_stream>>>(
        std::move(tls), std::move(on_message), std::move(on_close));
    IOT_TRY(ws->connect(url, path, options));
    return std::unique_ptr<WebSocketClient>(std::move(ws));
  }
  auto ws = std::make_unique<BeastWebSocket<beast::tcp_stream>>(nullptr, std::move(on_message), std::move(on_close));
  IOT_TRY(ws->connect(url, path, options));
  return std::unique_ptr<WebSocketClient>(std::move(ws));
}

}  // namespace iotwins::api
