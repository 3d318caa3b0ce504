#include "servers.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "api/http_client.h"

namespace iotwins::tsdbext::testing {
namespace {

using namespace std::chrono_literals;
constexpr auto kDeadline = 30s;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs a command to its end; its output goes to `log` (stderr too unless `err_log` is given).
Status run(std::vector<std::string> argv, const std::string& log, const std::string& err_log = "stdout") {
  auto p = Process::spawn({.argv = argv, .stdout_path = log, .stderr_path = err_log});
  if (!p) return std::unexpected(p.error());
  auto st = p->wait();
  if (!st.exited() || st.code != 0) {
    return make_error(Errc::internal, argv[0] + " " + (argv.size() > 1 ? argv[1] : "") + " " + st.to_string() +
                                          "; its output:\n" + read_text(log));
  }
  return ok();
}

std::string find_pg_bin() {
  namespace fs = std::filesystem;
  if (fs::exists("/usr/lib/postgresql")) {
    for (const auto& e : fs::directory_iterator("/usr/lib/postgresql")) {
      if (fs::exists(e.path() / "bin" / "initdb")) return (e.path() / "bin").string();
    }
  }
  return "";
}

std::string unique_dir(const std::string& base) {
  std::string d = ::testing::TempDir() + base + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

// Rewrites `influxd config` output: loopback binds, every directory under `dir`, no
// self-monitoring or usage reporting.
std::string influx_config(const std::string& defaults, const std::string& dir, int http, int rpc) {
  std::istringstream in(defaults);
  std::string line, section, out;
  auto set = [&](std::string& l, const std::string& key, const std::string& value) {
    if (std::regex_search(l, std::regex("^\\s*" + key + "\\s*="))) l = "  " + key + " = " + value;
  };
  while (std::getline(in, line)) {
    std::string s = line.substr(line.find_first_not_of(" \t") == std::string::npos ? 0 : line.find_first_not_of(" \t"));
    if (s.starts_with("[")) section = s.substr(1, s.find(']') - 1);
    if (section.empty()) {
      set(line, "bind-address", "\"127.0.0.1:" + std::to_string(rpc) + "\"");
      set(line, "reporting-disabled", "true");
    }
    if (section == "meta") set(line, "dir", "\"" + dir + "/meta\"");
    if (section == "data") {
      set(line, "dir", "\"" + dir + "/data\"");
      set(line, "wal-dir", "\"" + dir + "/wal\"");
      set(line, "query-log-enabled", "false");
    }
    if (section == "monitor") set(line, "store-enabled", "false");
    if (section == "http") {
      set(line, "bind-address", "\"127.0.0.1:" + std::to_string(http) + "\"");
      set(line, "log-enabled", "false");
    }
    out += line + "\n";
  }
  return out;
}

// The server of each kind, once started.
template <class Server>
Server*& instance() {
  static Server* server = nullptr;
  return server;
}

class ExternalServers : public ::testing::Environment {
 public:
  void TearDown() override {  // only what a test started
    if (auto* pg = instance<PostgresServer>()) pg->stop();
    if (auto* in = instance<InfluxServer>()) in->stop();
  }
};
[[maybe_unused]] auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ExternalServers);

}  // namespace


Status PostgresServer::start(const std::string& base) {
  bin_ = find_pg_bin();
  if (bin_.empty()) {
    return make_error(Errc::unavailable, "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin "
                                         "(Debian package 'postgresql'; run scripts/setup)");
  }
  dir_ = unique_dir(base);
  // The server refuses to run as root: as root, initdb and pg_ctl run as the package's
  // postgres user, who must own the directory.
  if (::getuid() == 0) {
    passwd* pw = ::getpwnam("postgres");
    if (!pw) return make_error(Errc::unavailable, "no 'postgres' user (created by the Debian package 'postgresql')");
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return errno_error("chown " + dir_, errno);
    // ... and must be able to reach it: every directory above needs search permission for others.
    for (auto p = std::filesystem::path(dir_).parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
      auto perms = std::filesystem::status(p).permissions();
      if ((perms & std::filesystem::perms::others_exec) == std::filesystem::perms::none) {
        return make_error(Errc::unavailable, p.string() + " is not searchable by others, so the postgres user cannot "
                                             "reach " + dir_ + " (was /tmp's mode changed? it is normally 1777)");
      }
    }
    as_user_ = {"runuser", "-u", "postgres", "--"};
  }
  port_ = free_port();
  IOT_TRY(run(pg_command({bin_ + "/initdb", "-D", dir_ + "/data", "-A", "trust", "-U", "iotwins", "--no-sync",
                          "--no-instructions"}),
              dir_ + "/initdb.log"));
  IOT_TRY(run(pg_command({bin_ + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w", "-t", "30", "-o",
                          "-p " + std::to_string(port_) + " -k " + dir_ + " -c listen_addresses=127.0.0.1 -c fsync=off",
                          "start"}),
              dir_ + "/pg_ctl.log"));
  running_ = true;
  // pg_ctl -w waited for the server; check it answers on the TCP port too, with a deadline.
  const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) + " user=iotwins dbname=postgres";
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (PQping(conninfo.c_str()) != PQPING_OK) {
    if (std::chrono::steady_clock::now() > deadline) return make_error(Errc::timeout, "postgres did not answer on port " + std::to_string(port_));
    std::this_thread::sleep_for(10ms);
  }
  return ok();
}

void PostgresServer::stop() {
  if (running_) {
    (void)run(pg_command({bin_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}), dir_ + "/pg_ctl.log");
    running_ = false;
  }
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

std::vector<std::string> PostgresServer::pg_command(std::vector<std::string> argv) const {
  std::vector<std::string> out = as_user_;
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::string PostgresServer::url(const std::string& db) const {
  return "postgresql://iotwins@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

Status PostgresServer::create_database(const std::string& db) { return admin("CREATE DATABASE \"" + db + "\""); }
Status PostgresServer::create_schema(const std::string& schema) { return admin("CREATE SCHEMA \"" + schema + "\""); }

std::string PostgresServer::url_in_schema(const std::string& schema) const {
  return url("postgres") + "?options=-csearch_path%3D" + schema;
}

Status PostgresServer::terminate_connections() {
  return admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' "
               "AND pid <> pg_backend_pid()");
}

Status PostgresServer::admin(const std::string& sql) {
  std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) + " user=iotwins dbname=postgres";
  PGconn* c = PQconnectdb(conninfo.c_str());
  PGresult* r = PQexec(c, sql.c_str());
  bool good = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  std::string msg = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  if (!good) return make_error(Errc::io_error, sql + ": " + msg);
  return ok();
}

Status InfluxServer::start(const std::string& base) {
  dir_ = unique_dir(base);
  const std::string& dir = dir_;
  std::string defaults_path = dir + "/defaults.conf";
  // stderr apart: influxd logs there, and the config must hold only TOML.
  auto st = run({"influxd", "config"}, defaults_path, dir + "/config.err");
  if (!st) {
    return make_error(Errc::unavailable, "cannot run 'influxd config' (Debian package 'influxdb'; run scripts/setup): " +
                                             st.error().message());
  }
  port_ = free_port();
  std::ofstream(dir + "/influxdb.conf") << influx_config(read_text(defaults_path), dir, port_, free_port());
  auto p = Process::spawn({.argv = {"influxd", "-config", dir + "/influxdb.conf"}, .stdout_path = dir + "/influxd.log",
                           .stderr_path = "stdout"});
  if (!p) return std::unexpected(p.error());
  proc_ = std::move(*p);
  IOT_ASSIGN(auto http, api::HttpClient::create("http://127.0.0.1:" + std::to_string(port_),
                                                {.connect_timeout = 1s, .request_timeout = 5s}));
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (true) {
    auto r = http->request(api::Method::GET, "/ping");
    if (r && r->status == 204) return ok();
    if (!proc_.running()) {
      return make_error(Errc::unavailable, "influxd exited; its log:\n" + read_text(dir + "/influxd.log").substr(0, 2000));
    }
    if (std::chrono::steady_clock::now() > deadline) return make_error(Errc::timeout, "influxd did not answer /ping");
    std::this_thread::sleep_for(10ms);
  }
}

void InfluxServer::stop() {
  if (proc_.pid() > 0) proc_.stop(5s);
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

std::string InfluxServer::url(const std::string& db) const {
  return "influxdb://127.0.0.1:" + std::to_string(port_) + "/" + db;
}

namespace {

// Starts a server on first use; a failure fails the test that first needed it (the later ones
// then fail on connecting).
template <class Server>
Server& started(const char* what, const char* dir) {
  Server*& server = instance<Server>();
  if (!server) {
    server = new Server;
    if (auto st = server->start(dir); !st) ADD_FAILURE() << "starting " << what << ": " << st.error().to_string();
  }
  return *server;
}

}  // namespace

PostgresServer& postgres() { return started<PostgresServer>("PostgreSQL", "tsdbext-pg"); }
InfluxServer& influx() { return started<InfluxServer>("InfluxDB", "tsdbext-influx"); }

}  // namespace iotwins::tsdbext::testing
