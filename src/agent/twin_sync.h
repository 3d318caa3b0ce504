// TwinSync: keeps the agent's twin cache in step with the server. It follows the server's change
// feed for the twins attached to this node (GET /api/v1/twins/events?node=…, Server-Sent Events)
// from the cursor the cache persisted, so after any cut — network, server restart, agent restart —
// it gets every twin changed meanwhile exactly once, at its latest state, and the cache publishes
// each outstanding delta to the device once. Reconnects with jittered backoff.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/http_client.h"
#include "twins/edge_cache.h"


namespace iotwins::agent {

class TwinSync {
 public:
  TwinSync(std::string server_url, api::ClientOptions options, std::string node_id, twins::EdgeTwinCache& cache);
  ~TwinSync();
  void start();
  void stop();  // returns within a couple of seconds (the feed's keepalive period)
  bool connected() const { return connected_.load(); }

 private:
  void loop();
  Status follow_once();
  // Parses one SSE event block into `changes` (a comment adds nothing) and raises `cursor` to its
  // seq; an error for a malformed one (the stream is then dropped and followed again).
  static Status parse_event(std::string_view block, std::vector<twins::EdgeTwinCache::ServerChange>& changes,
                            int64_t& cursor);

  std::string server_url_;
  api::ClientOptions options_;
  std::string node_id_;
  twins::EdgeTwinCache& cache_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace iotwins::agent
