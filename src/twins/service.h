// TwinService: the server's twins — the frontend (REST intents and data-plane observations are
// checked against the twin's model and the shadow rules), the table (every twin and model
// persisted in the metadata database, all of them held in memory for reads and queries) and the
// change feed (one sequence number per change; a twin's row remembers the sequence of its last
// change, so a client resumes from any cursor and gets the latest state of every twin changed
// since, each once).
//
// Thread-safe: one writer at a time (a mutex around the in-memory table and its persistence);
// readers share a lock. Documents handed out are copies.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "dataplane/codec/records.h"
#include "twin/aggregate.h"
#include "twin/document.h"
#include "twin/hierarchy.h"
#include "twin/model.h"
#include "twin/query_page.h"
#include "twins/autocreate.h"

namespace iotwins::storage {
class Database;
}

namespace iotwins::twins {

struct ServiceOptions {
  twin::Limits limits;
  // Which unknown twin ids the data plane may create, with which model (autocreate.h).
  AutoCreateRules autocreate = AutoCreateRules::permissive();
  size_t max_twins = 1'000'000;
};

// One entry of the change feed: the twin's state now (not a diff), so a client that missed
// changes needs only the latest entry of each twin.
struct FeedItem {
  int64_t seq = 0;
  std::string id;
  bool deleted = false;
  std::string node;                   // the agent the twin is attached to ("" if none)
  std::vector<std::string> changed;   // paths changed by this change; empty when catching up
  std::optional<twin::TwinDocument> doc;  // absent for a deletion
};

struct FeedFilter {
  std::string node;                     // only twins attached to this node
  const twin::Query* query = nullptr;   // only twins matching (deletions always pass)
};

struct Stats {
  uint64_t twins = 0;
  uint64_t models = 0;
  uint64_t seq = 0;
  uint64_t applied_updates = 0;  // from the data plane
  uint64_t refused_updates = 0;  // from the data plane: model or limits refused them
  uint64_t unknown_twins = 0;    // data for ids the auto-create rules did not allow
};

class TwinService {
 public:
  static Result<std::unique_ptr<TwinService>> open(storage::Database& db, const Clock& clock,
                                                   ServiceOptions options = {});
  ~TwinService();

  // --- models ---
  // Creates or replaces; a replaced model must still accept the attributes of its twins.
  Result<bool> put_model(std::string_view id, std::string_view text);  // true: created
  Result<twin::TwinModel> get_model(std::string_view id) const;
  std::vector<twin::TwinModel> list_models() const;
  Status delete_model(std::string_view id);  // conflict while twins use it

  // --- twins ---
  struct PutResult {
    twin::TwinDocument doc;
    bool created = false;
  };
  // PUT: {model, level, parent, attributes, node, state:{desired, reported}} — creates the twin,
  // or replaces its description (state, when given, is applied as an update).
  Result<PutResult> put_twin(std::string_view id, const nlohmann::json& body,
                             std::optional<int64_t> if_match);
  Result<twin::TwinDocument> get_twin(std::string_view id) const;
  Result<std::string> node_of(std::string_view id) const;
  Result<std::string> group_of(std::string_view id) const;  // the twin's IAM group, without copying it
  Status delete_twin(std::string_view id, std::optional<int64_t> if_match);
  // PATCH state: desired/reported checked against the model, then the shadow update.
  Result<twin::TwinDocument> patch_state(std::string_view id, const twin::StateUpdate& update);

  Result<std::vector<std::string>> children(std::string_view id) const;
  Result<std::vector<std::string>> ancestors(std::string_view id) const;
  // The tree below `root` ("" = every root) as nested {id, model, level, children:[…]}.
  Result<nlohmann::json> tree(std::string_view root, int max_depth) const;
  Result<twin::AggregateResult> aggregate(const twin::AggregateRequest& request) const;

  struct QueryResult {
    std::vector<twin::TwinDocument> items;
    std::string next_cursor;
  };
  Result<QueryResult> query(std::string_view filter, std::string_view sort, size_t limit,
                            std::string_view cursor) const;

  // --- the data plane (server side): applied exactly once per (stream, seq) ---
  // Samples set reported.<property> (dotted → nested) unless older than what is there; events
  // "reported" merge into reported, "desired" (an edge agent's local changes) merge into desired
  // field by field when newer (last writer wins by timestamp), "attached" records the node.
  // records[i] has sequence first_seq + i in `stream`; ones at or below the stream's applied
  // mark (a replay after a crash) are skipped. Events of other types are ignored.
  Status apply_records(std::string_view stream, uint64_t first_seq,
                       std::span<const dataplane::Record> records);

  // --- change feed ---
  int64_t last_seq() const;
  struct FeedPage {
    std::vector<FeedItem> items;
    int64_t cursor = 0;  // resume after this (past changes the filter left out, too)
  };
  // Up to `max` changes after `cursor` in seq order.
  FeedPage changes_after(int64_t cursor, size_t max, const FeedFilter& filter) const;
  // Blocks until a change after `cursor` exists, `timeout` passes or close() is called.
  // Returns false when closed.
  bool wait_for_change(int64_t cursor, std::chrono::milliseconds timeout) const;
  void close();  // wakes every waiter for good (server shutdown)

  Stats stats() const;

 private:
  struct Impl;
  explicit TwinService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace iotwins::twins
