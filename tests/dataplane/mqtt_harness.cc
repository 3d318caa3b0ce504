#include "mqtt_harness.h"

#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

namespace iotwins::dataplane::testing {
namespace {

using namespace std::chrono_literals;

bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

void lib_init() {
  static bool done = [] {
    mosquitto_lib_init();
    return true;
  }();
  (void)done;
}

}  // namespace


std::string telemetry_payload(uint64_t i) {
  std::string p = "{\"seq\":" + std::to_string(i);
  for (int k = 1; k < 10; ++k) {
    p += ",\"v" + std::to_string(k) + "\":" + std::to_string(i * 10 + k) + ".125";
  }
  return p + "}";
}

uint64_t telemetry_seq(const std::string& payload) {
  return std::stoull(payload.substr(7, payload.find(',') - 7));
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(2ms);  // polling interval, not a wait for an event
  }
  return true;
}

Result<Broker> Broker::start(Options options) {
  Broker b;
  b.opts_ = std::move(options);
  b.port_ = free_port();
  std::string conf = b.opts_.dir + "/mosquitto.conf";
  {
    std::ofstream c(conf, std::ios::trunc);
    c << "listener " << b.port_ << " 127.0.0.1\n"
      << "allow_anonymous true\n"
      << "persistence false\n"
      << "max_queued_messages " << b.opts_.max_queued_messages << "\n"
      << "log_dest stderr\n";
    // As root Mosquitto would switch to the user "mosquitto", who cannot write the spool.
    if (::geteuid() == 0) c << "user root\n";
    if (!b.opts_.plugin.empty()) {
      c << "plugin " << b.opts_.plugin << "\n";
      for (const auto& [k, v] : b.opts_.plugin_options) c << "plugin_opt_" << k << " " << v << "\n";
    }
    if (!c.flush()) return make_error(Errc::io_error, "cannot write " + conf);
  }
  std::vector<std::string> env;
#ifdef IOTWINS_BROKER_PRELOAD
  // Sanitizer builds: the plugin needs the runtimes the broker binary does not carry; leaks of
  // the broker itself are not ours to report.
  env = {"LD_PRELOAD=" IOTWINS_BROKER_PRELOAD, "ASAN_OPTIONS=detect_leaks=0"};
#endif
  IOT_ASSIGN(b.proc_, Process::spawn({.argv = {"/usr/sbin/mosquitto", "-c", conf},
                                      .env = env,
                                      .stdout_path = b.opts_.dir + "/mosquitto.log",
                                      .stderr_path = "stdout"}));
  bool up = eventually([&] { return port_open(b.port_) || !b.proc_.running(); }, 20s);
  if (!up || !b.proc_.running()) {
    return make_error(Errc::unavailable, "mosquitto did not start: " + b.log());
  }
  return b;
}

std::string Broker::log() const {
  std::ifstream in(opts_.dir + "/mosquitto.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Broker::kill9() {
  (void)proc_.signal(SIGKILL);
  proc_.wait();
}

Publisher::Publisher(std::string client_id, int port, int window, bool clean_session)
    : id_(std::move(client_id)), window_(window) {
  lib_init();
  mosq_ = mosquitto_new(id_.c_str(), clean_session, this);
  mosquitto_publish_callback_set(mosq_, &Publisher::on_publish);
  mosquitto_connect_callback_set(mosq_, &Publisher::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &Publisher::on_disconnect);
  mosquitto_max_inflight_messages_set(mosq_, static_cast<unsigned>(window));
  mosquitto_reconnect_delay_set(mosq_, 1, 2, false);
  mosquitto_connect_async(mosq_, "127.0.0.1", port, 30);
  mosquitto_loop_start(mosq_);
}

Publisher::~Publisher() {
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, true);
  mosquitto_destroy(mosq_);
}

void Publisher::on_connect(mosquitto*, void* self, int rc) {
  auto* p = static_cast<Publisher*>(self);
  std::lock_guard lock(p->mu_);
  p->connected_ = rc == 0;
  p->cv_.notify_all();
}

void Publisher::on_disconnect(mosquitto*, void* self, int) {
  auto* p = static_cast<Publisher*>(self);
  ++p->disconnects_;
  std::lock_guard lock(p->mu_);
  p->connected_ = false;
}

void Publisher::on_publish(mosquitto*, void* self, int mid) {
  auto* p = static_cast<Publisher*>(self);
  std::lock_guard lock(p->mu_);
  auto it = p->inflight_.find(mid);
  if (it == p->inflight_.end()) return;
  p->acked_.push_back(it->second);
  p->inflight_.erase(it);
  p->cv_.notify_all();
}

bool Publisher::connected() {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, 20s, [&] { return connected_; });
}

bool Publisher::publish(const std::string& topic, const std::string& payload, uint64_t index,
                        std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, wait, [&] { return inflight_.size() < static_cast<size_t>(window_); })) {
    return false;
  }
  int mid = 0;
  // Under mu_, so on_publish cannot see the mid before it is recorded.
  int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), 1, false);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) return false;
  inflight_[mid] = index;
  return true;
}

bool Publisher::wait_all_acked(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, deadline, [&] { return inflight_.empty(); });
}

uint64_t Publisher::acked_count() {
  std::lock_guard lock(mu_);
  return acked_.size();
}

std::vector<uint64_t> Publisher::acked() {
  std::lock_guard lock(mu_);
  return acked_;
}

Counter::Counter(int port, const std::string& filter, bool keep_payloads) : filter_(filter), keep_(keep_payloads) {
  lib_init();
  mosq_ = mosquitto_new(nullptr, true, this);
  mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* msg) {
    auto* c = static_cast<Counter*>(self);
    if (c->keep_) {
      std::lock_guard lock(c->payload_mu_);
      c->payloads_.emplace_back(static_cast<const char*>(msg->payload), static_cast<size_t>(msg->payloadlen));
    }
    ++c->count_;
  });
  mosquitto_connect_callback_set(mosq_, [](mosquitto* m, void* self, int) {
    mosquitto_subscribe(m, nullptr, static_cast<Counter*>(self)->filter_.c_str(), 1);
  });
  mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*) {
    auto* c = static_cast<Counter*>(self);
    std::lock_guard lock(c->mu_);
    c->subscribed_ = true;
    c->cv_.notify_all();
  });
  mosquitto_connect_async(mosq_, "127.0.0.1", port, 30);
  mosquitto_loop_start(mosq_);
}

Counter::~Counter() {
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, true);
  mosquitto_destroy(mosq_);
}

std::vector<std::string> Counter::payloads() const {
  std::lock_guard lock(payload_mu_);
  return payloads_;
}

bool Counter::subscribed() {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, 20s, [&] { return subscribed_; });
}

}  // namespace iotwins::dataplane::testing
