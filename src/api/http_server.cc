// The Beast side of HttpServer: one Session<Stream> per connection for plain TCP and TLS.
#include "api/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/bn.h>
#include <openssl/x509.h>

#include <atomic>
#include <cctype>
#include <charconv>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "api/http_server_ws.h"
#include "api/problem.h"
#include "core/log.h"
#include "core/metrics.h"

namespace iotwins::api {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

Result<std::pair<std::string, uint16_t>> split_host_port(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return make_error(Errc::invalid_argument, "'" + std::string(text) + "' is not host:port");
  }
  std::string host(text.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535) {
    return make_error(Errc::invalid_argument, "'" + std::string(text) + "' has no valid port (0-65535)");
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

namespace {

spdlog::logger& logger() {
  static auto& log = log::get("api");
  return log;
}

struct Shared;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void close_if_idle() = 0;
  // Closes the connection if it is streaming a body, so a producer blocked on a write returns.
  virtual void cut_stream() = 0;
};

// State shared by the server, its sessions and its workers.
struct Shared {
  ServerOptions options;
  const Router& router;
  net::io_context ioc;
  net::thread_pool workers;
  std::atomic<size_t> connections{0};
  std::atomic<size_t> queued{0};
  std::atomic<size_t> in_flight{0};
  std::atomic<bool> stopping{false};
  // Keeps ioc.run() going while a handler runs on a worker with no I/O pending (e.g. after the
  // acceptor closed during stop); released once requests in flight are answered.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::mutex sessions_mu;
  std::set<std::weak_ptr<SessionBase>, std::owner_less<std::weak_ptr<SessionBase>>> sessions;
  metrics::Counter& rejected_busy;
  metrics::Counter& rejected_connections;

  Shared(ServerOptions o, const Router& r)
      : options(std::move(o)),
        router(r),
        ioc(options.io_threads),
        workers(static_cast<size_t>(options.worker_threads)),
        rejected_busy(metrics::Registry::global().counter(
            "iotwins_http_rejected_total", "requests refused because the worker queue was full",
            {{"reason", "busy"}})),
        rejected_connections(metrics::Registry::global().counter(
            "iotwins_http_rejected_total", "requests refused because the worker queue was full",
            {{"reason", "connections"}})) {}
};

void record(const Request& req, int status, std::chrono::steady_clock::time_point start) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string route = req.route.empty() ? "unmatched" : req.route;
  auto& reg = metrics::Registry::global();
  reg.counter("iotwins_http_requests_total", "HTTP requests served",
              {{"route", route}, {"method", std::string(to_string(req.method))},
               {"status", std::to_string(status)}})
      .inc();
  reg.histogram("iotwins_http_request_seconds", "HTTP request latency", {{"route", route}}).observe(secs);
  logger().debug("{} {} {} {:.2f}ms from {}", to_string(req.method), req.target, status, secs * 1e3,
                 req.remote);
}

http::response<http::string_body> to_beast(const Response& r, unsigned version, bool keep_alive,
                                           bool head) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "iotwins");
  if (!r.body.empty() || r.status != 204) res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.keep_alive(keep_alive);
  if (head) {
    res.content_length(r.body.size());
  } else {
    res.body() = r.body;
    res.prepare_payload();
  }
  return res;
}

// A certificate's serial as iam::CertInfo writes it: lower-case hex without leading zeros.
std::string serial_hex(X509* cert) {
  if (cert == nullptr) return {};
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn == nullptr) return {};
  char* hex = BN_bn2hex(bn);
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t nz = out.find_first_not_of('0');
  return nz == std::string::npos ? std::string("0") : out.substr(nz);
}

beast::tcp_stream& lowest(beast::tcp_stream& s) { return s; }
beast::tcp_stream& lowest(beast::ssl_stream<beast::tcp_stream>& s) { return beast::get_lowest_layer(s); }

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Shared& shared, Stream&& stream) : shared_(shared), stream_(std::move(stream)) {
    beast::error_code ec;
    auto ep = lowest(stream_).socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  ~Session() override { shared_.connections.fetch_sub(1); }

  void run() {
    auto self = this->shared_from_this();
    {
      std::lock_guard lock(shared_.sessions_mu);
      shared_.sessions.insert(self);
    }
    net::dispatch(stream_.get_executor(), [self] {
      if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
        lowest(self->stream_).expires_after(self->shared_.options.header_timeout);
        self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) {
            logger().debug("TLS handshake with {} failed: {}", self->remote_, ec.message());
            return;
          }
          self->read_peer_cn();
          self->read_header(true);
        });
      } else {
        self->read_header(true);
      }
    });
  }

  void cut_stream() override {
    auto self = this->shared_from_this();
    net::post(stream_.get_executor(), [self] {
      if (self->streaming_) self->close_now();
    });
  }

  void close_if_idle() override {
    auto self = this->shared_from_this();
    net::post(stream_.get_executor(), [self] {
      if (self->idle_) {
        beast::error_code ec;
        lowest(self->stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest(self->stream_).close();
      }
    });
  }

 private:
  void read_peer_cn() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      X509* cert = SSL_get_peer_certificate(stream_.native_handle());
      if (cert == nullptr) return;
      char cn[256] = {0};
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
      peer_cn_ = cn;
      X509_free(cert);
    }
  }

  void read_header(bool first) {
    if (shared_.stopping) return shutdown();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_.options.max_header_bytes));
    // The route decides, once the header is known. (Not boost::none: Boost 1.74 compares
    // Content-Length against an empty optional as "greater" and fails every body.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    idle_ = true;
    lowest(stream_).expires_after(first ? shared_.options.header_timeout : shared_.options.idle_timeout);
    auto self = this->shared_from_this();
    http::async_read_header(stream_, buffer_, *parser_, [self](beast::error_code ec, size_t) {
      self->idle_ = false;
      self->on_header(ec);
    });
  }

  void on_header(beast::error_code ec) {
    start_ = std::chrono::steady_clock::now();
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::eof || ec == net::error::connection_reset) {
      return shutdown();
    }
    if (ec == http::error::header_limit) {
      return reply_error(431, "header_too_large", "the request header is larger than " +
                                                      std::to_string(shared_.options.max_header_bytes) + " bytes");
    }
    if (ec) return reply_error(400, "bad_request", "malformed HTTP request: " + ec.message());
    auto& req = parser_->get();
    request_ = Request{};
    request_.method = parse_method(std::string_view(req.method_string().data(), req.method_string().size()));
    request_.target = std::string(req.target());
    request_.remote = remote_;
    auto target = parse_target(request_.target);
    if (!target) return reply_error(400, "invalid_argument", target.error().message());
    request_.path = std::move(target->first);
    request_.query = std::move(target->second);
    for (const auto& field : req) {
      request_.headers[std::string(field.name_string())] = std::string(field.value());
    }
    request_.headers.erase("X-Client-CN");  // only the TLS layer may set it
    if (!peer_cn_.empty()) request_.headers["X-Client-CN"] = peer_cn_;
    request_.peer_subject = peer_cn_;

    Match m = shared_.router.match(request_.method, request_.path);
    if (m.route && m.route->websocket && websocket::is_upgrade(req)) return upgrade(*m.route);
    size_t limit = shared_.options.max_body_bytes;
    if (m.route && m.route->options.max_body) limit = m.route->options.max_body;
    if (auto len = parser_->content_length(); len && *len > limit) {
      return reply_error(413, "too_large", "the request body of " + std::to_string(*len) +
                                               " bytes is larger than the limit of " +
                                               std::to_string(limit) + " bytes");
    }
    parser_->body_limit(limit);
    lowest(stream_).expires_after(shared_.options.body_timeout);
    auto self = this->shared_from_this();
    http::async_read(stream_, buffer_, *parser_, [self, limit](beast::error_code ec, size_t) {
      if (ec == http::error::body_limit) {
        return self->reply_error(413, "too_large", "the request body is larger than the limit of " +
                                                       std::to_string(limit) + " bytes");
      }
      if (ec) return self->shutdown();
      self->on_request();
    });
  }

  void upgrade(const Route& route) {
    request_.route = route.pattern;
    request_.path_params = shared_.router.match(Method::GET, request_.path).params;
    if (auto denied = shared_.router.admit(request_, route)) {  // credentials before the handshake
      keep_alive_ = false;
      version_ = 11;
      return write(std::move(*denied));
    }
    auto ws = std::make_shared<detail::WsSession<Stream>>(std::move(stream_));
    Request request = std::move(request_);
    ws->accept(parser_->release(), std::move(request), route.websocket);
  }

  void on_request() {
    request_.body = std::move(parser_->get().body());
    keep_alive_ = parser_->get().keep_alive() && !shared_.stopping;
    version_ = parser_->get().version();
    head_ = request_.method == Method::HEAD;
    if (shared_.queued.load() >= shared_.options.max_queued) {
      shared_.rejected_busy.inc();
      Response r = problem(503, "unavailable", "Service Unavailable", "the server is busy; retry shortly");
      r.headers["Retry-After"] = "1";
      return write(std::move(r));
    }
    shared_.queued.fetch_add(1);
    shared_.in_flight.fetch_add(1);
    auto self = this->shared_from_this();
    net::post(shared_.workers, [self] {
      self->shared_.queued.fetch_sub(1);
      Response r = self->shared_.router.dispatch(self->request_);
      if (r.stream && !self->head_) return self->stream_response(std::move(r));
      net::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable {
        self->counted_ = true;  // in_flight drops when the answer is written
        self->write(std::move(r));
      });
    });
  }

  // Runs `start(done)` on the connection's strand and blocks this worker until the operation it
  // started calls done(ok). Every operation has the body timeout, and cut_stream() closes the
  // socket, so the wait always ends.
  template <class Start>
  bool on_strand(Start start) {
    auto done = std::make_shared<std::promise<bool>>();
    auto result = done->get_future();
    net::post(stream_.get_executor(), [this, done, &start] {
      lowest(stream_).expires_after(shared_.options.body_timeout);
      start([done](beast::error_code ec) { done->set_value(!ec); });
    });
    return result.get();
  }

  // On the worker: sends the header, runs the producer with a blocking chunk writer, then ends
  // the body (or cuts the connection after a producer error).
  void stream_response(Response r) {
    auto self = this->shared_from_this();
    const bool chunked = version_ >= 11;  // HTTP/1.0: raw bytes, the close ends the body
    if (!chunked) keep_alive_ = false;
    record(request_, r.status, start_);
    stream_header_.emplace(static_cast<http::status>(r.status), version_);
    auto& h = *stream_header_;
    h.set(http::field::server, "iotwins");
    h.set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) h.set(k, v);
    h.keep_alive(keep_alive_);
    if (chunked) h.chunked(true);
    serializer_.emplace(h);
    streaming_ = true;
    bool open = on_strand([this](auto done) {
      http::async_write_header(stream_, *serializer_, [done](beast::error_code ec, size_t) { done(ec); });
    });
    Status produced = ok();
    if (open) {
      ChunkWriter write = [&](std::string_view piece) {
        if (!open || piece.empty()) return open;
        open = on_strand([this, piece, chunked](auto done) {
          auto cb = [done](beast::error_code ec, size_t) { done(ec); };
          if (chunked) {
            net::async_write(stream_, http::make_chunk(net::buffer(piece.data(), piece.size())), cb);
          } else {
            net::async_write(stream_, net::buffer(piece.data(), piece.size()), cb);
          }
        });
        return open;
      };
      try {
        produced = r.stream(write);
      } catch (const std::exception& e) {
        produced = make_error(Errc::internal, e.what());
      }
      if (!produced) {
        logger().warn("{} {}: stream ended by an error: {}", to_string(request_.method), request_.route,
                      produced.error().message());
      }
    }
    bool complete = open && produced.has_value();
    if (complete && chunked) {
      complete = on_strand([this](auto done) {
        net::async_write(stream_, http::make_chunk_last(), [done](beast::error_code ec, size_t) { done(ec); });
      });
    }
    net::post(stream_.get_executor(), [self, complete] {
      self->streaming_ = false;
      self->shared_.in_flight.fetch_sub(1);
      if (!complete) return self->close_now();
      if (!self->keep_alive_ || self->shared_.stopping) return self->shutdown();
      self->read_header(false);
    });
  }

  void close_now() {
    beast::error_code ec;
    lowest(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest(stream_).close();
  }

  void reply_error(int status, std::string type, std::string detail) {
    keep_alive_ = false;
    version_ = 11;
    write(problem(status, type, reason_phrase(status), detail));
  }

  void write(Response r) {
    record(request_, r.status, start_);
    response_ = to_beast(r, version_, keep_alive_, head_);
    lowest(stream_).expires_after(shared_.options.body_timeout);
    auto self = this->shared_from_this();
    http::async_write(stream_, response_, [self](beast::error_code ec, size_t) {
      if (self->counted_) {
        self->counted_ = false;
        self->shared_.in_flight.fetch_sub(1);
      }
      if (ec || !self->keep_alive_ || self->shared_.stopping) return self->shutdown();
      self->read_header(false);
    });
  }

  void shutdown() {
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      lowest(stream_).expires_after(std::chrono::seconds(2));
      auto self = this->shared_from_this();
      stream_.async_shutdown([self](beast::error_code) { lowest(self->stream_).close(); });
    } else {
      lowest(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Shared& shared_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::optional<http::response<http::empty_body>> stream_header_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
  std::atomic<bool> streaming_{false};
  Request request_;
  std::string remote_;
  std::string peer_cn_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  bool counted_ = false;
  std::atomic<bool> idle_{false};
  std::chrono::steady_clock::time_point start_;
};

class BeastServer final : public HttpServer {
 public:
  BeastServer(ServerOptions options, const Router& router)
      : shared_(std::make_unique<Shared>(std::move(options), router)),
        acceptor_(net::make_strand(shared_->ioc)) {}

  ~BeastServer() override { stop(); }

  Status start() {
    const auto& o = shared_->options;
    IOT_ASSIGN(auto hp, split_host_port(o.listen));
    if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) IOT_TRY(setup_tls());
    beast::error_code ec;
    auto address = net::ip::make_address(hp.first == "localhost" ? "127.0.0.1" : hp.first, ec);
    if (ec) return make_error(Errc::invalid_argument, "listen address '" + hp.first + "' is not an IP address");
    tcp::endpoint ep(address, hp.second);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (ec) {
      std::string hint = ec == net::error::address_in_use
                             ? " (another process listens there: stop it or choose another port with --listen)"
                             : "";
      return make_error(ec == net::error::address_in_use ? Errc::already_exists : Errc::io_error,
                        "cannot listen on " + o.listen + ": " + ec.message() + hint);
    }
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return make_error(Errc::io_error, "listen on " + o.listen + ": " + ec.message());
    auto bound = acceptor_.local_endpoint();
    address_ = bound.address().to_string() + ":" + std::to_string(bound.port());
    accept();
    shared_->work.emplace(shared_->ioc.get_executor());
    for (int i = 0; i < o.io_threads; ++i) {
      threads_.emplace_back([this] { shared_->ioc.run(); });
    }
    logger().info("listening on {}://{}", tls_ ? "https" : "http", address_);
    return ok();
  }

  std::string address() const override { return address_; }
  bool tls() const override { return tls_; }

  void stop() override {
    if (stopped_.exchange(true)) return;
    shared_->stopping = true;
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
    {
      std::lock_guard lock(shared_->sessions_mu);
      for (const auto& weak : shared_->sessions) {
        if (auto s = weak.lock()) s->close_if_idle();
      }
    }
    // Requests in flight finish and are answered; then the connections close themselves.
    auto deadline = std::chrono::steady_clock::now() + shared_->options.shutdown_grace;
    while ((shared_->in_flight.load() > 0 || shared_->connections.load() > 0) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    // Streams still running after the grace are cut, so their producers return to the pool.
    {
      std::lock_guard lock(shared_->sessions_mu);
      for (const auto& weak : shared_->sessions) {
        if (auto s = weak.lock()) s->cut_stream();
      }
    }
    shared_->workers.join();
    shared_->work.reset();
    shared_->ioc.stop();  // what is left (WebSockets, stuck peers) is cut
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  Status setup_tls() {
    const auto& o = shared_->options;
    ssl_ = std::make_unique<ssl::context>(ssl::context::tls_server);
    ssl_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    ssl_->use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec) return make_error(Errc::invalid_argument, "TLS certificate " + o.tls_cert_file + ": " + ec.message());
    ssl_->use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec) return make_error(Errc::invalid_argument, "TLS key " + o.tls_key_file + ": " + ec.message());
    if (!o.tls_client_ca_file.empty()) {
      ssl_->load_verify_file(o.tls_client_ca_file, ec);
      if (ec) return make_error(Errc::invalid_argument, "TLS client CA " + o.tls_client_ca_file + ": " + ec.message());
      ssl_->set_verify_mode(o.tls_client_cert_optional ? ssl::verify_peer
                                                       : ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      if (o.client_cert_revoked) {
        // Revocation is asked live, so a node revoked a moment ago is refused at its next handshake.
        ssl_->set_verify_callback([revoked = o.client_cert_revoked](bool preverified, ssl::verify_context& ctx) {
          X509_STORE_CTX* store = ctx.native_handle();
          if (!preverified || X509_STORE_CTX_get_error_depth(store) != 0) return preverified;
          std::string serial = serial_hex(X509_STORE_CTX_get_current_cert(store));
          if (serial.empty() || revoked(serial)) {
            X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REVOKED);
            return false;
          }
          return true;
        });
      }
    }
    tls_ = true;
    return ok();
  }

  void accept() {
    acceptor_.async_accept(net::make_strand(shared_->ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || shared_->stopping) return;
      if (!ec) {
        if (shared_->connections.load() >= shared_->options.max_connections) {
          shared_->rejected_connections.inc();
          beast::error_code ignored;
          socket.close(ignored);
        } else {
          shared_->connections.fetch_add(1);
          if (tls_) {
            std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                *shared_, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *ssl_))
                ->run();
          } else {
            std::make_shared<Session<beast::tcp_stream>>(*shared_, beast::tcp_stream(std::move(socket)))->run();
          }
        }
      }
      accept();
    });
  }

  std::unique_ptr<Shared> shared_;
  tcp::acceptor acceptor_;
  std::unique_ptr<ssl::context> ssl_;
  bool tls_ = false;
  std::string address_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(ServerOptions options, const Router& router) {
  auto server = std::make_unique<BeastServer>(std::move(options), router);
  IOT_TRY(server->start());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace iotwins::api
