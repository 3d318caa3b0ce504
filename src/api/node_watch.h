// The node watch's connections (GET /api/v1/nodes/{id}/watch over WebSocket): each agent that
// watches its node gets the node's desired task set on connect and again whenever the
// orchestrator changes it, never the same or an older revision twice.
//
//   NodeWatches watches(*orch);
//   orch->on_desired_change([&](const std::string& node, int64_t) { watches.notify(node); });
//   ... at shutdown, before the HTTP server stops: watches.close_all();
//
// Thread-safe: add() runs on an I/O thread (the WebSocket handler), notify() on whichever thread
// changed the set (after the orchestrator released its lock), close_all() on the server's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace iotwins::orchestrator {
class Orchestrator;
}

namespace iotwins::api {

class WebSocketConnection;

class NodeWatches {
 public:
  explicit NodeWatches(orchestrator::Orchestrator& orch) : orch_(orch) {}
  NodeWatches(const NodeWatches&) = delete;
  NodeWatches& operator=(const NodeWatches&) = delete;

  // Watches `node` for `conn`: sends the current set when its revision is above `after` (the
  // revision the agent already has, 0 for none), then every newer one.
  void add(const std::string& node, int64_t after, std::shared_ptr<WebSocketConnection> conn);
  // Sends the node's current set to each of its watchers that has not seen that revision yet.
  void notify(const std::string& node);
  // Closes every watch connection; later add() calls close theirs at once.
  void close_all();
  size_t size() const;

 private:
  struct Watcher {
    std::shared_ptr<WebSocketConnection> conn;
    int64_t sent = 0;  // the highest revision this watcher has
  };
  void remove(const std::string& node, const WebSocketConnection* conn);

  orchestrator::Orchestrator& orch_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<Watcher>> watchers_;  // node id → its open watches
  bool closed_ = false;
};

}  // namespace iotwins::api
