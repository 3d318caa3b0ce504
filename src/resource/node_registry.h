// NodeRegistry: every machine that joined, its facts, labels and liveness — the Resource
// Registry of the reference architecture. Frontend (register, heartbeat, drain) and table
// (persisted in the metadata store) in one small class; liveness is derived from the last
// heartbeat and an injected Clock, so states need no background timer:
//
//   ready ──(no heartbeat for unreachable_after)──▶ unreachable ──(down_after)──▶ down
//     ▲                                                  │                          │
//     └───────────────── heartbeat ◀─────────────────────┴──────────────────────────┘
//   any ──(drain)──▶ draining (stays, whatever the heartbeats, until undrain)
//
// Thread-safe; a mutex guards the in-memory table, writes go through to the store.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "model/node.h"
#include "storage/database.h"

namespace iotwins::resource {

struct RegistryOptions {
  std::chrono::milliseconds unreachable_after{15'000};  // three missed 5 s heartbeats
  std::chrono::milliseconds down_after{300'000};
};

class NodeRegistry {
 public:
  // Loads every node from the store (applying the schema migrations first).
  static Result<std::unique_ptr<NodeRegistry>> open(storage::Database& db, const Clock& clock,
                                                    RegistryOptions options = {});

  // Registers a node. An id the registry knows updates that node and keeps it; an unknown or
  // empty id gets a new one ("edge-1f3a9c…"). `group` (the IAM group of the node's identity)
  // sets the node's group; nullopt keeps a known node's and gives a new one "default".
  // Returns the node as stored.
  Result<model::Node> register_node(const model::NodeRegistration& reg,
                                    const std::optional<std::string>& group = std::nullopt);
  // Records a heartbeat; not_found tells the agent to register again.
  Result<model::Node> heartbeat(const std::string& id, const model::Heartbeat& hb);
  // Called after every accepted heartbeat with the node as stored, outside the registry's lock
  // (the server records KPI history and threshold events). Set it before heartbeats arrive.
  using HeartbeatObserver = std::function<void(const model::Node&)>;
  void on_heartbeat(HeartbeatObserver observer) { observer_ = std::move(observer); }
  Result<model::Node> get(const std::string& id) const;
  std::vector<model::Node> list() const;
  Result<model::Node> set_draining(const std::string& id, bool draining);
  Status remove(const std::string& id);

  const RegistryOptions& options() const { return options_; }

 private:
  NodeRegistry(storage::Database& db, const Clock& clock, RegistryOptions options)
      : db_(db), clock_(clock), options_(options) {}
  Status load();
  Status persist(const model::Node& node, bool draining);
  model::Node with_state(model::Node node) const;  // fills state from liveness and draining
  std::string new_id(const model::NodeRegistration& reg) const;

  struct Entry {
    model::Node node;
    bool draining = false;
  };

  storage::Database& db_;
  const Clock& clock_;
  RegistryOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> nodes_;
  HeartbeatObserver observer_;
};

}  // namespace iotwins::resource
