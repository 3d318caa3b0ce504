// See e2e_figures.h.
#include "e2e_figures.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <regex>
#include <thread>
#include <vector>

#include "api/http_client.h"
#include "mqtt_harness.h"

namespace iotwins::bench {

using namespace std::chrono_literals;
namespace mq = iotwins::dataplane::testing;
using Clock = std::chrono::steady_clock;

Result<double> metric(const std::string& base_url, const std::string& name) {
  IOT_ASSIGN(auto client, api::HttpClient::create(base_url));
  IOT_ASSIGN(auto r, client->request(api::Method::GET, "/metrics"));
  if (r.status != 200) return make_error(Errc::unavailable, "GET /metrics: status " + std::to_string(r.status));
  std::string prefix = name + " ";
  size_t at = 0;
  while (at < r.body.size()) {
    size_t end = r.body.find('\n', at);
    if (end == std::string::npos) end = r.body.size();
    if (r.body.compare(at, prefix.size(), prefix) == 0) {
      return std::stod(r.body.substr(at + prefix.size(), end - at - prefix.size()));
    }
    at = end + 1;
  }
  return 0.0;  // a counter not incremented yet is not listed
}

namespace {

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// "1.23ms" / "850.00us" / "1.02s" → ms.
double to_ms(double value, const std::string& unit) {
  if (unit == "us") return value / 1000;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60'000;
  return value;
}

}  // namespace

Latency time_get(const std::string& base_url, const std::string& token, const std::string& path, int runs) {
  Latency l;
  auto client = api::HttpClient::create(base_url, {.bearer_token = token});
  if (!client) return l;
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    auto r = (*client)->request(api::Method::GET, path);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (!r || r->status != 200) {
      std::fprintf(stderr, "GET %s: %s\n", path.c_str(), r ? r->body.c_str() : r.error().to_string().c_str());
      return l;
    }
    if (i + 1 == runs) {
      auto j = nlohmann::json::parse(r->body, nullptr, false);
      if (!j.is_discarded() && j.contains("items")) l.items = j["items"].size();
    }
  }
  l.p50_ms = percentile(ms, 0.5);
  l.p99_ms = percentile(ms, 0.99);
  l.max_ms = *std::max_element(ms.begin(), ms.end());
  l.ok = true;
  return l;
}

WrkResult run_wrk(const std::string& url, int connections, int seconds, const std::string& token) {
  WrkResult w;
  std::string header = token.empty() ? "" : "-H 'Authorization: Bearer " + token + "' ";
  std::string cmd = "wrk -t2 -c" + std::to_string(connections) + " -d" + std::to_string(seconds) +
                    "s --latency " + header + "'" + url + "' 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return w;
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  int rc = pclose(pipe);
  std::string shown = token.empty() ? cmd : std::regex_replace(cmd, std::regex("Bearer [^']*"), "Bearer <token>");
  std::fprintf(stderr, "%s\n%s", shown.c_str(), out.c_str());
  if (rc != 0) return w;
  std::smatch m;
  static const std::regex p50(R"(\n\s*50%\s+([0-9.]+)(us|ms|s|m)\b)"), p99(R"(\n\s*99%\s+([0-9.]+)(us|ms|s|m)\b)"),
      rps(R"(Requests/sec:\s+([0-9.]+))"), non2xx(R"(Non-2xx or 3xx responses:\s+([0-9]+))"),
      errors(R"(Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+))");
  if (!std::regex_search(out, m, p50)) return w;
  w.p50_ms = to_ms(std::stod(m[1]), m[2]);
  if (!std::regex_search(out, m, p99)) return w;
  w.p99_ms = to_ms(std::stod(m[1]), m[2]);
  if (!std::regex_search(out, m, rps)) return w;
  w.requests_per_s = std::stod(m[1]);
  if (std::regex_search(out, m, non2xx)) w.non_2xx = std::stoull(m[1]);
  if (std::regex_search(out, m, errors)) {
    for (int i = 1; i <= 4; ++i) w.socket_errors += std::stoull(m[i]);
  }
  w.ok = w.non_2xx == 0 && w.socket_errors == 0;
  return w;
}

bool publish_all(int port, int publishers, int window, uint64_t per_publisher,
                 const std::function<std::string(int, uint64_t)>& topic,
                 const std::function<std::string(int, uint64_t)>& payload, const std::string& client_prefix,
                 std::chrono::steady_clock::time_point& first_publish) {
  std::vector<std::unique_ptr<mq::Publisher>> pubs;
  for (int p = 0; p < publishers; ++p) {
    pubs.push_back(std::make_unique<mq::Publisher>(client_prefix + std::to_string(p), port, window, true));
    if (!pubs.back()->connected()) return false;
  }
  std::atomic<bool> ok{true};
  std::vector<std::thread> threads;
  first_publish = Clock::now();
  for (int p = 0; p < publishers; ++p) {
    threads.emplace_back([&, p] {
      for (uint64_t i = 0; i < per_publisher && ok; ++i) {
        if (!pubs[p]->publish(topic(p, i), payload(p, i), i, 120s)) ok = false;
      }
      if (!pubs[p]->wait_all_acked(300s)) ok = false;
    });
  }
  for (auto& t : threads) t.join();
  return ok;
}

}  // namespace iotwins::bench
