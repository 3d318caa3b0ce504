#include "agent/twin_sync.h"

#include <random>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "core/log.h"
#include "twin/codec.h"
#include "twins/edge_cache.h"

namespace iotwins::agent {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("agent");
  return log;
}

// The feed sends a keepalive comment this often, so a dead link is noticed within the read timeout
// and stop() never waits long.
constexpr int kKeepaliveSeconds = 2;

}  // namespace

TwinSync::TwinSync(std::string server_url, api::ClientOptions options, std::string node_id,
                   twins::EdgeTwinCache& cache)
    : server_url_(std::move(server_url)), options_(std::move(options)), node_id_(std::move(node_id)), cache_(cache) {
  options_.request_timeout = std::chrono::seconds(kKeepaliveSeconds * 5);
}

TwinSync::~TwinSync() { stop(); }

void TwinSync::start() { thread_ = std::thread([this] { loop(); }); }

void TwinSync::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TwinSync::loop() {
  std::mt19937 rng{std::random_device{}()};
  int attempt = 0;
  while (!stopping_) {
    auto st = follow_once();
    connected_ = false;
    if (stopping_) return;
    if (st) {
      attempt = 0;  // the server ended the stream cleanly (restart): come back at once
    } else {
      logger().warn("twin feed: {} (retrying)", st.error().message());
      ++attempt;
    }
    auto cap = std::chrono::milliseconds(std::min<int64_t>(10'000, 250LL << std::min(attempt, 6)));
    std::uniform_int_distribution<int64_t> jitter(cap.count() / 2, cap.count());
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(attempt ? jitter(rng) : 0), [this] { return stopping_.load(); });
  }
}

Status TwinSync::follow_once() {
  IOT_ASSIGN(auto client, api::HttpClient::create(server_url_, options_));
  std::string path = "/api/v1/twins/events?node=" + api::percent_encode(node_id_) +
                     "&cursor=" + std::to_string(cache_.cursor()) + "&keepalive=" + std::to_string(kKeepaliveSeconds);
  std::string pending;
  Status failure = ok();
  auto res = client->request_streaming(api::Method::GET, path, [&](std::string_view piece) {
    if (stopping_) return false;
    if (!connected_.exchange(true)) logger().info("twin feed connected (node {}, cursor {})", node_id_, cache_.cursor());
    pending.append(piece);
    // Every complete event of this piece, applied in one transaction with the cursor after them.
    std::vector<twins::EdgeTwinCache::ServerChange> changes;
    int64_t cursor = -1;
    size_t start = 0, end;
    while ((end = pending.find("\n\n", start)) != std::string::npos) {
      if (auto st = parse_event(std::string_view(pending).substr(start, end - start), changes, cursor); !st) {
        failure = st;
        return false;
      }
      start = end + 2;
    }
    pending.erase(0, start);
    if (cursor >= 0) {
      if (auto st = cache_.on_server_changes(changes, cursor); !st) {
        failure = st;
        return false;
      }
    }
    return pending.size() < (64u << 20);
  });
  if (!failure) return failure;
  if (!res) return std::unexpected(res.error());
  if (!res->ok()) return std::unexpected(api::error_from_response(*res, "twin feed"));
  return ok();
}

Status TwinSync::parse_event(std::string_view block, std::vector<twins::EdgeTwinCache::ServerChange>& changes,
                             int64_t& cursor) {
  std::string data;
  size_t start = 0;
  while (start < block.size()) {
    size_t nl = block.find('\n', start);
    std::string_view line = block.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (line.starts_with("data: ")) data.append(line.substr(6));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  if (data.empty()) return ok();  // a comment (keepalive)
  auto value = twin::parse_json_text(data, {.max_text_bytes = 16u << 20});
  if (!value || !value->is_object()) return make_error(Errc::invalid_argument, "twin feed: malformed event");
  cursor = std::max(cursor, value->value("seq", int64_t{0}));
  if (value->value("kind", "") == "deleted") {
    changes.push_back({value->value("id", ""), std::nullopt});
    return ok();
  }
  auto it = value->find("twin");
  if (it == value->end() || !it->is_object()) return make_error(Errc::invalid_argument, "twin feed: event without a twin");
  it->erase("node");
  IOT_ASSIGN(auto doc, twin::twin_from_json(*it));
  changes.push_back({doc.id, std::move(doc)});
  return ok();
}

}  // namespace iotwins::agent
