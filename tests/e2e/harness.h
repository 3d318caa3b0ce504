// The e2e harness: runs build/bin/iotwins in its roles with temp data dirs and free ports,
// and waits for conditions (never for fixed times).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "api/http_client.h"
#include "core/process.h"

namespace iotwins::e2e {

std::string binary();        // build/bin/iotwins
// A file's whole text ("" if it cannot be read); read_trimmed without trailing newlines/spaces
// (URL files such as server.url and agent.url).
std::string read_text(const std::string& path);
std::string read_trimmed(const std::string& path);
std::string temp_dir(const std::string& name);  // fresh, empty

struct CommandResult {
  int code = -1;
  std::string out;  // stdout and stderr together
};
struct CliOptions {
  std::vector<std::string> env;  // "K=V" for the command
  std::string stdin_path;        // empty: inherited
  bool server_token = true;      // send the admin token of the --server the args name
};
// Runs `iotwins args…` to completion. When args name a --server that a ServerDaemon of this
// process started, its admin token goes along as IOTWINS_TOKEN (unless !server_token).
CommandResult run_cli(const std::vector<std::string>& args, const CliOptions& options = {});

// A long-running iotwins process whose output goes to a log file.
class Daemon {
 public:
  Daemon(std::string name, std::vector<std::string> args, std::string dir);
  ~Daemon();
  void start();
  ExitStatus stop();  // SIGTERM, then waits
  void add_args(const std::vector<std::string>& more) { args_.insert(args_.end(), more.begin(), more.end()); }
  void set_env(std::vector<std::string> env) { env_ = std::move(env); }  // "K=V", before start()
  void kill9();
  Process& process() { return process_; }
  std::string log() const;

 private:
  std::string name_;
  std::vector<std::string> args_;
  std::vector<std::string> env_;
  std::string log_path_;
  Process process_;
};

// A server on a free port with its own data dir; url() once ready. Its first start makes the
// admin with a known password (--admin-password-file); start() logs in as admin, and token()
// is sent by get(), http_json/get_json and run_cli for this server's URL.
inline constexpr const char* kTestAdminPassword = "e2e-admin-password";
class ServerDaemon {
 public:
  // `ca_file`: the CA that verifies the server's certificate when `extra` makes it listen with TLS.
  explicit ServerDaemon(const std::string& dir, std::vector<std::string> extra = {}, std::string ca_file = "");
  void start();  // starts and waits until server.url exists and /readyz answers
  ExitStatus stop() { return daemon_.stop(); }
  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }
  Daemon& daemon() { return daemon_; }
  nlohmann::json get(const std::string& path);  // GET → JSON (fails the test on error)

 private:
  std::string dir_;
  std::string ca_file_;
  Daemon daemon_;
  std::string url_;
  std::string token_;
};

// The admin token of the ServerDaemon serving `url` ("" when none of this process does).
std::string token_for(const std::string& url);
// Client options for `url`: its admin token and, for a TLS server, the CA that verifies it.
api::ClientOptions client_options(const std::string& url);
// A fresh join token of the server at `url` when it refuses requests without credentials ("" when
// it does not): for agents started outside Daemon (Daemon::start adds one by itself).
std::string join_token_for(const std::string& url);
// Requests to `url` carry `token` (a server this process did not start as a ServerDaemon, e.g.
// one `iotwins up` started and logged in to).
void use_token(const std::string& url, const std::string& token);
// `alias` (a proxy in front of the server at `url`) gets that server's token, and agents
// started against it join that server.
void same_server(const std::string& alias, const std::string& url);

// One request to `base` + `path` (with token_for(base)): the JSON answer ({} when it has none) with "_status" added, or
// null when the server cannot be reached. For polling conditions without failing the test.
nlohmann::json http_json(const std::string& base, const std::string& method, const std::string& path,
                         const std::string& body = "");
// GET → the JSON answer when it is 200, else null.
nlohmann::json get_json(const std::string& base, const std::string& path);

// Polls `condition` until it holds or `timeout` passes; false on timeout.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace iotwins::e2e
