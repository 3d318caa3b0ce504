// ManagedBroker: the agent's local Mosquitto. The agent generates its config (loopback or the
// given address, queue limits set on purpose, persistence in the data dir, the iotwins spool
// plugin), starts it, and restarts it with backoff if it dies.
//
//   <data-dir>/broker/mosquitto.conf   generated at every start
//   <data-dir>/broker/mosquitto.log    the broker's log
//   <data-dir>/broker/db/              Mosquitto's persistence (sessions, queued QoS 1)
//   <data-dir>/broker/credentials      with device_auth: who may connect (0600; device_auth.h)
//   <data-dir>/spool/                  what the plugin makes durable before PUBACK
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/process.h"
#include "core/result.h"

namespace iotwins::agent {

struct BrokerOptions {
  std::string data_dir;
  std::string host = "127.0.0.1";
  uint16_t port = 1883;  // 0: pick a free one
  std::string mosquitto = "mosquitto";  // program (PATH or /usr/sbin)
  std::string plugin;                   // libiotwins_broker.so
  std::string spool_dir;
  std::string fsync = "periodic";       // plugin: periodic | always
  uint64_t spool_max_bytes = 1ull << 30;
  std::string full_policy = "reject";
  // Both set: the listener speaks MQTT over TLS only (mqtts://).
  std::string tls_cert;
  std::string tls_key;
  // Mosquitto's own queue for a subscriber that falls behind (its default of 1000 silently
  // drops QoS 1 messages beyond it): set on purpose.
  uint64_t max_queued_messages = 100'000;
  uint32_t max_inflight_messages = 100;
  // Topic filters the plugin spools besides iotwins/+/… (twin models' topic mappings).
  std::vector<std::string> extra_topics;
  // Per-device credentials and topic ACLs (the plugin's auth_file): no anonymous clients; a
  // device logs in as its twin id and may use iotwins/<twin>/… only; the agent and its tasks
  // log in with an internal credential made at every start (in url()).
  bool device_auth = false;
};

// The plugin next to this executable (build/lib or an installed lib dir); empty if none.
std::string default_broker_plugin();

class ManagedBroker {
 public:
  static Result<std::unique_ptr<ManagedBroker>> start(BrokerOptions options);
  ~ManagedBroker();
  void stop();

  uint16_t port() const { return port_; }
  // mqtt://host:port, or mqtts:// with TLS; with device_auth it carries the internal credential
  // (mqtt://user:password@host:port): for the agent's own clients and tasks, never for logs.
  std::string url() const;
  uint64_t restarts() const { return restarts_; }
  bool running() const { return running_; }
  // Spools these filters too from now on: rewrites the config and restarts the broker when they
  // changed (devices reconnect; QoS 1 messages in flight are resent by them).
  Status set_extra_topics(std::vector<std::string> topics);
  // With device_auth: the devices that may connect now (twin id → SHA-256 hex of its password),
  // written to the credentials file when they changed; the plugin re-reads it within a tick.
  Status set_device_credentials(const std::map<std::string, std::string>& sha256_by_twin);

 private:
  explicit ManagedBroker(BrokerOptions o) : options_(std::move(o)) {}
  Status write_config();
  Status init_credentials();   // the internal login, and the devices of the last run
  Status write_credentials();  // mu_ held
  Status launch();  // start and wait until it accepts connections
  void supervise();

  BrokerOptions options_;
  uint16_t port_ = 0;
  std::string conf_path_, log_path_;
  Process process_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<uint64_t> restarts_{0};
  std::atomic<bool> running_{false};
  std::atomic<bool> reconfiguring_{false};
  std::string internal_user_, internal_password_;      // set once at start
  std::map<std::string, std::string> device_sha256_;  // guarded by mu_
};

// A free TCP port on host (bind to port 0, read it back, close).
Result<uint16_t> pick_free_port(const std::string& host);

}  // namespace iotwins::agent
