// The e2e harness: runs build/bin/iotwins in its roles with temp data dirs and free ports,
// and waits for conditions (never for fixed times).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

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
// Runs `iotwins args…` to completion.
CommandResult run_cli(const std::vector<std::string>& args);

// A long-running iotwins process whose output goes to a log file.
class Daemon {
 public:
  Daemon(std::string name, std::vector<std::string> args, std::string dir);
  ~Daemon();
  void start();
  ExitStatus stop();  // SIGTERM, then waits
  void kill9();
  Process& process() { return process_; }
  std::string log() const;

 private:
  std::string name_;
  std::vector<std::string> args_;
  std::string log_path_;
  Process process_;
};

// A server on a free port with its own data dir; url() once ready.
class ServerDaemon {
 public:
  explicit ServerDaemon(const std::string& dir, std::vector<std::string> extra = {});
  void start();  // starts and waits until server.url exists and /readyz answers
  ExitStatus stop() { return daemon_.stop(); }
  const std::string& url() const { return url_; }
  Daemon& daemon() { return daemon_; }
  nlohmann::json get(const std::string& path);  // GET → JSON (fails the test on error)

 private:
  std::string dir_;
  Daemon daemon_;
  std::string url_;
};

// One request to `base` + `path`: the JSON answer ({} when it has none) with "_status" added, or
// null when the server cannot be reached. For polling conditions without failing the test.
nlohmann::json http_json(const std::string& base, const std::string& method, const std::string& path,
                         const std::string& body = "");
// GET → the JSON answer when it is 200, else null.
nlohmann::json get_json(const std::string& base, const std::string& path);

// Polls `condition` until it holds or `timeout` passes; false on timeout.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace iotwins::e2e
