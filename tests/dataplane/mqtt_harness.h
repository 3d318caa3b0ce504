// Real Mosquitto on a free loopback port, and a QoS 1 publisher with an inflight window, for
// the broker plugin's tests and bench/dataplane.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/process.h"
#include "core/result.h"
#include "testing/net.h"

struct mosquitto;

namespace iotwins::dataplane::testing {

using ::iotwins::testing::free_port;

// Telemetry payload i of a simulated device: ~140 bytes of JSON with 10 numbers, the first
// being "seq":i.
std::string telemetry_payload(uint64_t i);
// The i of a telemetry_payload.
uint64_t telemetry_seq(const std::string& payload);

// Polls pred until it holds or the deadline passes (no fixed sleeps).
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds deadline = std::chrono::seconds(30));

// /usr/sbin/mosquitto with a generated config. `plugin_options` are "key value" pairs given as
// plugin_opt_key; an empty plugin path runs the broker without the plugin.
class Broker {
 public:
  struct Options {
    std::string dir;  // config and log go here
    std::string plugin;
    std::vector<std::pair<std::string, std::string>> plugin_options;
    // Queue limits set on purpose: a subscriber in a benchmark may fall behind.
    int max_queued_messages = 100000;
  };
  static Result<Broker> start(Options options);
  // Starts and waits until it listens (or exits, e.g. on a bad plugin option).
  int port() const { return port_; }
  Process& process() { return proc_; }
  std::string log() const;
  void kill9();

 private:
  Options opts_;
  int port_ = 0;
  Process proc_;
};

// A libmosquitto client publishing QoS 1 with at most `window` messages unacknowledged.
// Its network thread counts PUBACKs; acked() lists the indexes acknowledged so far.
class Publisher {
 public:
  Publisher(std::string client_id, int port, int window = 100, bool clean_session = false);
  ~Publisher();
  bool connected();
  // Publishes payload i on topic; blocks while the window is full, up to `wait` (false then).
  bool publish(const std::string& topic, const std::string& payload, uint64_t index,
               std::chrono::milliseconds wait = std::chrono::seconds(30));
  // Blocks until every published message is acknowledged or the deadline passes.
  bool wait_all_acked(std::chrono::milliseconds deadline);
  uint64_t acked_count();
  std::vector<uint64_t> acked();
  uint64_t disconnects() const { return disconnects_.load(); }

 private:
  static void on_publish(mosquitto*, void* self, int mid);
  static void on_connect(mosquitto*, void* self, int rc);
  static void on_disconnect(mosquitto*, void* self, int rc);

  std::string id_;
  int window_;
  mosquitto* mosq_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, uint64_t> inflight_;  // mid -> index
  std::vector<uint64_t> acked_;
  bool connected_ = false;
  std::atomic<uint64_t> disconnects_{0};
};

// A subscriber that counts messages on a filter (and keeps their payloads when asked).
class Counter {
 public:
  Counter(int port, const std::string& filter, bool keep_payloads = false);
  ~Counter();
  bool subscribed();
  uint64_t count() const { return count_.load(); }
  std::vector<std::string> payloads() const;

 private:
  mosquitto* mosq_ = nullptr;
  std::string filter_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool subscribed_ = false;
  std::atomic<uint64_t> count_{0};
  bool keep_ = false;
  mutable std::mutex payload_mu_;
  std::vector<std::string> payloads_;
};

}  // namespace iotwins::dataplane::testing
