// EdgeTwinCache: the twins an agent holds for the devices on its broker, kept in the agent's own
// database so they survive restarts and stay usable while the cloud is unreachable.
//
// Where changes come from and go to:
//   server feed  → on_server_doc(): the server's document replaces the cached one; local desired
//                  changes the server has not yet seen (pending) are laid over it.
//   local REST   → patch_desired(): applied at once, the delta goes to the device, and a
//                  `$desired` event ({"desired":…}, stamped with the change's time) goes upstream
//                  through the data plane, which buffers it while the cloud is away.
//   device       → on_reported(): keeps the delta current offline (the same message also goes up).
// Reconciliation rule (docs/twins.md): desired fields are merged field by field, the later
// change by timestamp wins (the server applies `$desired` events that way and stamps the fields
// with the edge's time; a pending field is dropped once the server's timestamp for it is at least
// its own); reported state is the device's and flows one way, up.
//
// Deltas are published only when they differ from the last one published for that twin, so a
// reconnect that replays the feed delivers each outstanding delta once.
//
// Thread-safe (one mutex); callbacks are called with it released.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "dataplane/codec/records.h"
#include "twin/document.h"

namespace iotwins::storage {
class Database;
}

namespace iotwins::twins {

struct EdgeCallbacks {
  // Publish on the agent's broker (QoS 1): topic, payload.
  std::function<Status(const std::string&, const std::string&)> publish;
  // Append an event to the agent's events stream (durable, forwarded upstream).
  std::function<Status(const dataplane::Event&)> emit;
};

class EdgeTwinCache {
 public:
  static Result<std::unique_ptr<EdgeTwinCache>> open(storage::Database& db, const Clock& clock,
                                                     EdgeCallbacks callbacks);
  ~EdgeTwinCache();

  // What the server's feed brought: a twin's document, or its deletion (no doc).
  struct ServerChange {
    std::string id;
    std::optional<twin::TwinDocument> doc;
  };
  // Applies a page of the feed and moves the cursor, all in one transaction.
  Status on_server_changes(std::span<const ServerChange> changes, int64_t cursor);
  Status on_server_doc(const twin::TwinDocument& doc);  // one change, cursor unchanged
  Status on_server_delete(std::string_view id);
  // A desired change made at this agent ({…} under state.desired; null deletes).
  Result<twin::TwinDocument> patch_desired(std::string_view id, const nlohmann::json& desired,
                                           std::optional<int64_t> if_match);
  // Reported state devices published through this agent: a batch (one ingest step) is applied and
  // persisted in one transaction; twins not cached yet are skipped (the feed brings them).
  struct Reported {
    std::string id;
    nlohmann::json state;
    int64_t ts_ns = 0;
  };
  Status on_reported_batch(std::span<const Reported> updates);
  Status on_reported(std::string_view id, const nlohmann::json& reported, int64_t ts_ns);

  Result<twin::TwinDocument> get(std::string_view id) const;
  std::vector<twin::TwinDocument> list() const;
  size_t pending() const;  // local desired changes the server has not confirmed yet

  // The feed cursor (persisted with the documents it brought).
  int64_t cursor() const;
  Status set_cursor(int64_t cursor);

 private:
  struct Pending {
    std::string path;      // dotted, under desired
    nlohmann::json value;  // null deletes
    int64_t ts_ms = 0;
  };
  struct Item {
    twin::TwinDocument doc;
    std::vector<Pending> pending;
    std::string published;  // the last delta state published ("" none)
  };
  EdgeTwinCache(storage::Database& db, const Clock& clock, EdgeCallbacks callbacks);
  static Status persist(storage::Database& db, const Item& item);
  // Persists `items` in one transaction, then publishes their deltas (outside the lock).
  using Outbox = std::vector<std::pair<std::string, std::string>>;
  Status publish_all(const Outbox& out);
  // The delta to publish for `item` now, updating item.published; nullopt when unchanged.
  std::optional<std::pair<std::string, std::string>> take_delta(Item& item);
  void overlay_pending(Item& item);

  storage::Database& db_;
  const Clock& clock_;
  EdgeCallbacks callbacks_;
  mutable std::mutex mu_;
  std::map<std::string, Item, std::less<>> items_;
  int64_t cursor_ = 0;
};

// Dotted-path helpers shared with the server's ingest.
int64_t leaf_timestamp(const nlohmann::json& metadata, std::string_view path);
void set_dotted(nlohmann::json& obj, std::string_view path, nlohmann::json value);
// Every leaf (non-object or empty object; arrays whole) of `update` as (dotted path, value).
void flatten_leaves(const nlohmann::json& update, std::string& prefix,
                    std::vector<std::pair<std::string, nlohmann::json>>& out);

}  // namespace iotwins::twins
