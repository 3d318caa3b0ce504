#include "harness.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
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

nlohmann::json http_json(const std::string& base, const std::string& method, const std::string& path,
                         const std::string& body) {
  auto c = api::HttpClient::create(base);
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

CommandResult run_cli(const std::vector<std::string>& args) {
  static int counter = 0;
  std::string out = ::testing::TempDir() + "iotwins-cli-" + std::to_string(::getpid()) + "-" +
                    std::to_string(counter++) + ".out";
  ProcessOptions o;
  o.argv = {binary()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
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
  ProcessOptions o;
  o.argv = {binary()};
  o.argv.insert(o.argv.end(), args_.begin(), args_.end());
  o.stdout_path = log_path_;
  o.stderr_path = "stdout";
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
  std::vector<std::string> args = {"server", "--listen", "127.0.0.1:0", "--data-dir", dir + "/server"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

ServerDaemon::ServerDaemon(const std::string& dir, std::vector<std::string> extra)
    : dir_(dir), daemon_("server", server_args(dir, std::move(extra)), dir) {}

void ServerDaemon::start() {
  std::string url_file = dir_ + "/server/server.url";
  std::filesystem::remove(url_file);
  daemon_.start();
  ASSERT_TRUE(eventually([&] {
    std::string text = read_text(url_file);
    if (text.empty()) return false;
    url_ = text.substr(0, text.find('\n'));
    return true;
  })) << "server did not start:\n" << daemon_.log();
  ASSERT_TRUE(eventually([&] {
    auto c = api::HttpClient::create(url_);
    auto r = (*c)->request(api::Method::GET, "/readyz");
    return r && r->status == 200;
  })) << daemon_.log();
}

nlohmann::json ServerDaemon::get(const std::string& path) {
  auto c = api::HttpClient::create(url_);
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
