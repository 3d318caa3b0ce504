#include "harness.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "api/http_client.h"

namespace iotwins::e2e {

std::string binary() { return std::string(IOTWINS_BINARY_DIR) + "/bin/iotwins"; }

std::string temp_dir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "iotwins-e2e-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

std::mutex tokens_mu;
std::map<std::string, std::string>& tokens() {
  static std::map<std::string, std::string> by_url;
  return by_url;
}
std::map<std::string, std::string>& ca_files() {  // the CA of each TLS server
  static std::map<std::string, std::string> by_url;
  return by_url;
}
std::set<std::string>& enforcing() {  // servers that refuse requests without credentials
  static std::set<std::string> urls;
  return urls;
}

// An agent started against a server that requires credentials joins it: a join token made with
// the admin's token (unless the test gives one, or the agent has joined before).
void add_join_token(std::vector<std::string>& args) {
  if (args.empty() || args[0] != "agent") return;
  std::string server, data_dir;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--join-token") return;
    if (args[i] == "--server") server = args[i + 1];
    if (args[i] == "--data-dir") data_dir = args[i + 1];
  }
  if (!data_dir.empty() && std::filesystem::exists(data_dir + "/identity")) return;
  if (std::string token = join_token_for(server); !token.empty()) args.insert(args.end(), {"--join-token", token});
}


}  // namespace

// A CLI command naming the --server of a ServerDaemon acts as its admin (IOTWINS_TOKEN); the
// server and agents have credentials of their own.
static void add_server_token(const std::vector<std::string>& args, std::vector<std::string>& env) {
  if (args.empty() || args[0] == "agent" || args[0] == "server" || args[0] == "up") return;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] != "--server") continue;
    if (std::string token = token_for(args[i + 1]); !token.empty()) env.push_back("IOTWINS_TOKEN=" + token);
  }
}

api::ClientOptions client_options(const std::string& url) {
  api::ClientOptions o;
  std::lock_guard lock(tokens_mu);
  if (auto it = tokens().find(url); it != tokens().end()) o.bearer_token = it->second;
  if (auto it = ca_files().find(url); it != ca_files().end()) o.ca_file = it->second;
  return o;
}

std::string token_for(const std::string& url) {
  std::lock_guard lock(tokens_mu);
  auto it = tokens().find(url);
  return it == tokens().end() ? std::string() : it->second;
}

std::string join_token_for(const std::string& url) {
  {
    std::lock_guard lock(tokens_mu);
    if (!enforcing().contains(url)) return "";
  }
  nlohmann::json t = http_json(url, "POST", "/api/v1/join-tokens", R"({"ttl":"1h"})");
  EXPECT_FALSE(t.is_null()) << "no join token from " << url;
  EXPECT_EQ(t.value("_status", 0), 201) << t.dump();
  return t.value("token", "");
}

void use_token(const std::string& url, const std::string& token) {
  std::lock_guard lock(tokens_mu);
  tokens()[url] = token;
}

void same_server(const std::string& alias, const std::string& url) {
  std::lock_guard lock(tokens_mu);
  tokens()[alias] = tokens()[url];
  if (auto it = ca_files().find(url); it != ca_files().end()) ca_files()[alias] = it->second;
  if (enforcing().contains(url)) enforcing().insert(alias);
}

nlohmann::json http_json(const std::string& base, const std::string& method, const std::string& path,
                         const std::string& body) {
  auto c = api::HttpClient::create(base, client_options(base));
  if (!c) return nullptr;
  auto r = (*c)->request(api::parse_method(method), path, body);
  if (!r) return nullptr;
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) j = nlohmann::json::object();
  j["_status"] = r->status;
  return j;
}

nlohmann::json get_json(const std::string& base, const std::string& path) {
  nlohmann::json j = http_json(base, "GET", path);
  if (j.is_null() || j["_status"] != 200) return nullptr;
  j.erase("_status");
  return j;
}

std::string read_trimmed(const std::string& path) {
  std::string s = read_text(path);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

CommandResult run_cli(const std::vector<std::string>& args, const CliOptions& options) {
  static int counter = 0;
  std::string out = ::testing::TempDir() + "iotwins-cli-" + std::to_string(::getpid()) + "-" +
                    std::to_string(counter++) + ".out";
  ProcessOptions o;
  o.argv = {binary()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = options.env;
  o.stdin_path = options.stdin_path;
  if (options.server_token) add_server_token(args, o.env);
  o.stdout_path = out;
  o.stderr_path = "stdout";
  auto p = Process::spawn(o);
  EXPECT_TRUE(p) << p.error().to_string();
  if (!p) return {};
  CommandResult r;
  r.code = p->wait().code;
  r.out = read_text(out);
  std::remove(out.c_str());
  return r;
}

Daemon::Daemon(std::string name, std::vector<std::string> args, std::string dir)
    : name_(std::move(name)), args_(std::move(args)), log_path_(dir + "/" + name_ + ".log") {}

Daemon::~Daemon() {
  if (process_.pid() > 0 && process_.running()) process_.stop(std::chrono::seconds(5));
}

void Daemon::start() {
  add_join_token(args_);
  ProcessOptions o;
  o.argv = {binary()};
  o.argv.insert(o.argv.end(), args_.begin(), args_.end());
  o.stdout_path = log_path_;
  o.stderr_path = "stdout";
  o.env = env_;
  add_server_token(args_, o.env);
  auto p = Process::spawn(o);
  ASSERT_TRUE(p) << p.error().to_string();
  process_ = std::move(*p);
}

ExitStatus Daemon::stop() { return process_.stop(std::chrono::seconds(10)); }

void Daemon::kill9() {
  (void)process_.signal(SIGKILL);
  process_.wait();
}

std::string Daemon::log() const { return read_text(log_path_); }

static std::vector<std::string> server_args(const std::string& dir, std::vector<std::string> extra) {
  std::vector<std::string> args = {"server", "--listen", "127.0.0.1:0", "--data-dir", dir + "/server",
                                   "--admin-password-file", dir + "/admin.password"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

ServerDaemon::ServerDaemon(const std::string& dir, std::vector<std::string> extra, std::string ca_file)
    : dir_(dir), ca_file_(std::move(ca_file)), daemon_("server", server_args(dir, std::move(extra)), dir) {
  std::ofstream(dir_ + "/admin.password") << kTestAdminPassword << "\n";
}

void ServerDaemon::start() {
  std::string url_file = dir_ + "/server/server.url";
  std::filesystem::remove(url_file);
  // A restart listens where the first start did, so the agents' --server URL stays right (the
  // last --listen wins).
  if (!url_.empty()) daemon_.add_args({"--listen", url_.substr(url_.find("://") + 3)});
  daemon_.start();
  ASSERT_TRUE(eventually([&] {
    std::string text = read_text(url_file);
    if (text.empty()) return false;
    url_ = text.substr(0, text.find('\n'));
    return true;
  })) << "server did not start:\n" << daemon_.log();
  ASSERT_TRUE(eventually([&] {
    auto c = api::HttpClient::create(url_, {.ca_file = ca_file_});
    auto r = (*c)->request(api::Method::GET, "/readyz");
    return r && r->status == 200;
  })) << daemon_.log();
  auto c = api::HttpClient::create(url_, {.ca_file = ca_file_});
  ASSERT_TRUE(c);
  nlohmann::json login{{"grant_type", "password"}, {"username", "admin"}, {"password", kTestAdminPassword}};
  auto r = (*c)->request(api::Method::POST, "/api/v1/auth/token", login.dump());
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : r.error().to_string()) << "\n" << daemon_.log();
  token_ = nlohmann::json::parse(r->body)["access_token"];
  auto anonymous = (*c)->request(api::Method::GET, "/api/v1/nodes");
  std::lock_guard lock(tokens_mu);
  tokens()[url_] = token_;
  if (!ca_file_.empty()) ca_files()[url_] = ca_file_;
  if (anonymous && anonymous->status == 401) enforcing().insert(url_);
}

nlohmann::json ServerDaemon::get(const std::string& path) {
  auto c = api::HttpClient::create(url_, client_options(url_));
  auto r = (*c)->request(api::Method::GET, path);
  EXPECT_TRUE(r) << r.error().to_string();
  if (!r) return nullptr;
  EXPECT_EQ(r->status, 200) << r->body;
  return nlohmann::json::parse(r->body, nullptr, false);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
  }
  return condition();
}

}  // namespace iotwins::e2e
