// The real iotwins binary in its roles for dataplane_e2e_bench: a server and an edge agent
// with its managed Mosquitto + spool plugin, each with its own data dir and log, and the
// figures the bench reads from them (server count per series, agent backlog and RSS).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/http_client.h"
#include "core/process.h"
#include "core/result.h"

namespace iotwins::bench {

// Polls pred every `every` until it holds or the deadline passes.
bool poll_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline,
                std::chrono::milliseconds every = std::chrono::milliseconds(20));

// A child `iotwins ARGS` whose output goes to DIR/NAME.log.
class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> start(const std::string& binary, const std::string& name,
                                               std::vector<std::string> args, const std::string& dir);
  ~Daemon();
  pid_t pid() const { return process_.pid(); }
  // VmRSS of the process in bytes (0 if it cannot be read).
  uint64_t rss_bytes() const;
  std::string log_tail(size_t bytes = 2000) const;

 private:
  Process process_;
  std::string log_path_;
};

// `iotwins server --listen 127.0.0.1:0` in DIR/server as it runs by default (credentials required);
// ready once /readyz answers 200 and the admin (password from DIR/admin.password) logged in.
class Server {
 public:
  static Result<std::unique_ptr<Server>> start(const std::string& binary, const std::string& dir);
  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }  // the admin's access token
  api::ClientOptions client_options() const { return {.bearer_token = token_}; }
  // A one-time token an agent joins with (--join-token).
  Result<std::string> join_token();
  // Samples of (twin, property) the server holds with a device time at or after from_ms.
  Result<uint64_t> count(const std::string& twin, const std::string& property, int64_t from_ms);
  // Telemetry backlog (records) of node `name` from its last heartbeat; nullopt if unknown.
  Result<int64_t> backlog(const std::string& name);
  Daemon& daemon() { return *daemon_; }

 private:
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<api::HttpClient> client_;
  std::string url_;
  std::string token_;
};

// `iotwins agent --level edge` with a managed broker on a free port, forwarding to parent_url;
// ready once it registered with the server and its broker listens.
struct AgentOptions {
  std::string name = "edge";
  std::string server_url;
  std::string parent_url;  // empty: the server
  std::string spool_fsync = "periodic";
  std::string buffer_max = "8GiB";
};
class Agent {
 public:
  static Result<std::unique_ptr<Agent>> start(const std::string& binary, const std::string& dir,
                                              const AgentOptions& options, Server& server);
  int mqtt_port() const { return mqtt_port_; }
  Daemon& daemon() { return *daemon_; }

 private:
  std::unique_ptr<Daemon> daemon_;
  int mqtt_port_ = 0;
};

}  // namespace iotwins::bench
