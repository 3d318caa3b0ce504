// See e2e_cluster.h.
#include "e2e_cluster.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/fs.h"
#include "mqtt_harness.h"

namespace iotwins::bench {

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// "" when missing (not written yet).
std::string slurp(const std::string& path) {
  auto text = PosixFileSystem::instance().read_file(path);
  return text ? *text : std::string();
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

bool poll_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline,
                std::chrono::milliseconds every) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(every);
  }
}

Result<std::unique_ptr<Daemon>> Daemon::start(const std::string& binary, const std::string& name,
                                              std::vector<std::string> args, const std::string& dir) {
  auto d = std::unique_ptr<Daemon>(new Daemon());
  d->log_path_ = dir + "/" + name + ".log";
  ProcessOptions o;
  o.argv = {binary};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.stdout_path = d->log_path_;
  o.stderr_path = "stdout";
  IOT_ASSIGN(d->process_, Process::spawn(o));
  return d;
}

Daemon::~Daemon() { (void)process_.stop(std::chrono::seconds(10)); }

uint64_t Daemon::rss_bytes() const {
  std::ifstream in("/proc/" + std::to_string(process_.pid()) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // "… kB"
  }
  return 0;
}

std::string Daemon::log_tail(size_t bytes) const {
  std::string s = slurp(log_path_);
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

Result<std::unique_ptr<Server>> Server::start(const std::string& binary, const std::string& dir) {
  auto s = std::make_unique<Server>();
  std::string data = dir + "/server";
  std::filesystem::create_directories(data);
  const std::string password_file = dir + "/admin.password";
  std::ofstream(password_file) << "bench-admin-password\n";
  IOT_ASSIGN(s->daemon_, Daemon::start(binary, "server",
                                       {"server", "--listen", "127.0.0.1:0", "--data-dir", data,
                                        "--admin-password-file", password_file},
                                       dir));
  bool up = poll_until([&] {
    s->url_ = first_line(slurp(data + "/server.url"));
    if (s->url_.empty()) return false;
    auto c = api::HttpClient::create(s->url_);
    if (!c) return false;
    auto r = (*c)->request(api::Method::GET, "/readyz");
    return r && r->status == 200;
  }, 60s);
  if (!up) return make_error(Errc::unavailable, "server did not start:\n" + s->daemon_->log_tail());
  IOT_ASSIGN(auto anonymous, api::HttpClient::create(s->url_));
  json login{{"grant_type", "password"}, {"username", "admin"}, {"password", "bench-admin-password"}};
  IOT_ASSIGN(auto r, anonymous->request(api::Method::POST, "/api/v1/auth/token", login.dump()));
  json answer = json::parse(r.body, nullptr, false);
  if (r.status != 200 || !answer.is_object() || !answer["access_token"].is_string()) {
    return make_error(Errc::unauthenticated, "admin login: " + r.body);
  }
  s->token_ = answer["access_token"].get<std::string>();
  IOT_ASSIGN(s->client_, api::HttpClient::create(s->url_, s->client_options()));
  return s;
}

Result<std::string> Server::join_token() {
  IOT_ASSIGN(auto r, client_->request(api::Method::POST, "/api/v1/join-tokens", R"({"ttl":"1h"})"));
  json answer = json::parse(r.body, nullptr, false);
  if (r.status != 201 && r.status != 200) return make_error(Errc::unavailable, "join token: " + r.body);
  if (!answer.is_object() || !answer["token"].is_string()) return make_error(Errc::unavailable, "join token: " + r.body);
  return answer["token"].get<std::string>();
}

Result<uint64_t> Server::count(const std::string& twin, const std::string& property, int64_t from_ms) {
  IOT_ASSIGN(auto r, client_->request(api::Method::GET,
                                      "/api/v1/series/query?twin=" + twin + "&property=" + property +
                                          "&from=" + std::to_string(from_ms) + "ms&to=now%2B1h&agg=count"));
  if (r.status != 200) return make_error(Errc::unavailable, "series query: " + r.body);
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.contains("groups")) return make_error(Errc::unavailable, "series query: " + r.body);
  if (j["groups"].empty() || j["groups"][0]["buckets"].empty()) return uint64_t{0};
  return j["groups"][0]["buckets"][0]["count"].get<uint64_t>();
}

Result<int64_t> Server::backlog(const std::string& name) {
  IOT_ASSIGN(auto r, client_->request(api::Method::GET, "/api/v1/nodes"));
  json j = json::parse(r.body, nullptr, false);
  if (r.status != 200 || j.is_discarded()) return make_error(Errc::unavailable, "nodes: " + r.body);
  for (const auto& n : j["items"]) {
    if (n["name"] != name || !n.contains("kpis") || !n["kpis"].is_object() || !n["kpis"].contains("buffers")) {
      continue;
    }
    for (const auto& b : n["kpis"]["buffers"]) {
      if (b["stream"] == "telemetry") return b["backlog_records"].get<int64_t>();
    }
  }
  return int64_t{-1};
}

Result<std::unique_ptr<Agent>> Agent::start(const std::string& binary, const std::string& dir,
                                            const AgentOptions& o, Server& server) {
  auto a = std::make_unique<Agent>();
  a->mqtt_port_ = dataplane::testing::free_port();
  std::string data = dir + "/" + o.name;
  std::vector<std::string> args = {"agent", "--server", server.url(), "--level", "edge", "--data-dir", data,
                                   "--name", o.name, "--heartbeat-interval", "300ms", "--mqtt-port",
                                   std::to_string(a->mqtt_port_), "--spool-fsync", o.spool_fsync,
                                   "--buffer-max", o.buffer_max};
  if (!o.parent_url.empty()) args.insert(args.end(), {"--parent-url", o.parent_url});
  if (!std::filesystem::exists(data + "/identity")) {  // joined before: it keeps its identity
    IOT_ASSIGN(auto join, server.join_token());
    args.insert(args.end(), {"--join-token", join});
  }
  IOT_ASSIGN(a->daemon_, Daemon::start(binary, o.name, args, dir));
  // Registered (a heartbeat with the data plane's figures arrived) means forwarding has started.
  bool up = poll_until([&] {
    auto b = server.backlog(o.name);
    return b && *b >= 0;
  }, 60s, 100ms);
  if (!up) return make_error(Errc::unavailable, "agent did not start:\n" + a->daemon_->log_tail());
  return a;
}

}  // namespace iotwins::bench
