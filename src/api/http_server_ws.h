// The server side of a WebSocket (Beast), for http_server.cc only: after the HTTP upgrade a
// Session hands its stream to a WsSession, which reads messages and queues writes on the
// connection's strand.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "api/http_server.h"
#include "core/log.h"

namespace iotwins::api::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

inline spdlog::logger& ws_logger() {
  static auto& log = log::get("api");
  return log;
}

template <class Stream>
class WsSession final : public WebSocketConnection,
                        public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  explicit WsSession(Stream&& stream) : ws_(std::move(stream)) {}

  template <class Body>
  void accept(http::request<Body> req, Request request, const WebSocketHandler& handler) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(1024 * 1024);
    auto self = this->shared_from_this();
    ws_.async_accept(req, [self, request = std::move(request), &handler](beast::error_code ec) {
      if (ec) {
        ws_logger().debug("websocket handshake failed: {}", ec.message());
        return;
      }
      self->open_ = true;
      handler(request, self);
      self->read();
    });
  }

  void send(std::string text) override {
    auto self = this->shared_from_this();
    net::post(ws_.get_executor(), [self, text = std::move(text)]() mutable {
      if (!self->open_) return;
      self->queue_.push_back(std::move(text));
      if (self->queue_.size() == 1) self->write_next();
    });
  }

  void close() override {
    auto self = this->shared_from_this();
    net::post(ws_.get_executor(), [self] {
      if (!self->open_ || self->closing_) return;
      self->closing_ = true;
      self->ws_.async_close(websocket::close_code::normal, [self](beast::error_code) { self->finish(); });
    });
  }

  bool is_open() const override { return open_.load(); }
  void on_message(std::function<void(std::string)> fn) override {
    std::lock_guard lock(cb_mu_);
    on_message_ = std::move(fn);
  }
  void on_close(std::function<void()> fn) override {
    std::lock_guard lock(cb_mu_);
    on_close_ = std::move(fn);
  }

 private:
  void read() {
    auto self = this->shared_from_this();
    ws_.async_read(buffer_, [self](beast::error_code ec, size_t) {
      if (ec) return self->finish();
      std::string text = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      std::function<void(std::string)> fn;
      {
        std::lock_guard lock(self->cb_mu_);
        fn = self->on_message_;
      }
      if (fn) fn(std::move(text));
      self->read();
    });
  }

  void write_next() {
    auto self = this->shared_from_this();
    ws_.text(true);
    ws_.async_write(net::buffer(queue_.front()), [self](beast::error_code ec, size_t) {
      if (ec) return self->finish();
      self->queue_.pop_front();
      if (!self->queue_.empty()) self->write_next();
    });
  }

  void finish() {
    if (!open_.exchange(false)) return;
    std::function<void()> fn;
    {
      std::lock_guard lock(cb_mu_);
      fn = std::move(on_close_);
      on_message_ = nullptr;
    }
    if (fn) fn();
  }

  websocket::stream<Stream> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::atomic<bool> open_{false};
  bool closing_ = false;
  std::mutex cb_mu_;
  std::function<void(std::string)> on_message_;
  std::function<void()> on_close_;
};

}  // namespace iotwins::api::detail
