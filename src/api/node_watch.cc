#include "api/node_watch.h"

#include "api/http_server.h"
#include "core/log.h"
#include "orchestrator/json.h"
#include "orchestrator/orchestrator.h"

namespace iotwins::api {

void NodeWatches::add(const std::string& node, int64_t after, std::shared_ptr<WebSocketConnection> conn) {
  const WebSocketConnection* key = conn.get();
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      conn->close();
      return;
    }
    watchers_[node].push_back({conn, after});
  }
  conn->on_close([this, node, key] { remove(node, key); });
  // Registered first, then told: a change committed in between is sent by one notify or the other.
  notify(node);
}

void NodeWatches::notify(const std::string& node) {
  auto set = orch_.desired(node);
  if (!set) {
    log::get("api").warn("node watch {}: {}", node, set.error().message());
    return;
  }
  std::string body;
  std::lock_guard lock(mu_);
  auto it = watchers_.find(node);
  if (it == watchers_.end()) return;
  auto& list = it->second;
  std::erase_if(list, [](const Watcher& w) { return !w.conn->is_open(); });
  for (auto& w : list) {
    if (w.sent >= set->revision) continue;  // it has this one (or a newer one sent concurrently)
    if (body.empty()) body = orchestrator::desired_json(*set);
    w.conn->send(body);
    w.sent = set->revision;
  }
  if (list.empty()) watchers_.erase(it);
}

void NodeWatches::close_all() {
  std::map<std::string, std::vector<Watcher>> all;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    all.swap(watchers_);
  }
  for (auto& [node, list] : all) {
    for (auto& w : list) w.conn->close();
  }
}

size_t NodeWatches::size() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [node, list] : watchers_) n += list.size();
  return n;
}

void NodeWatches::remove(const std::string& node, const WebSocketConnection* conn) {
  std::lock_guard lock(mu_);
  auto it = watchers_.find(node);
  if (it == watchers_.end()) return;
  std::erase_if(it->second, [conn](const Watcher& w) { return w.conn.get() == conn; });
  if (it->second.empty()) watchers_.erase(it);
}

}  // namespace iotwins::api
