// Nodes: the machines of the continuum as the registry, the agent and the CLI see them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins::model {

enum class Level { iot, edge, cloud };
std::string_view to_string(Level level);
Result<Level> parse_level(std::string_view text);

// ready: heartbeats arrive. unreachable: missed heartbeats for longer than the unreachable
// timeout (tasks stay). down: silent beyond the longer down timeout (tasks may move).
// draining: an operator asked for its tasks to move; it takes no new ones.
enum class NodeState { ready, unreachable, draining, down };
std::string_view to_string(NodeState state);
Result<NodeState> parse_node_state(std::string_view text);

struct Gpu {
  std::string vendor;
  std::string model;
  uint64_t memory_bytes = 0;
  bool operator==(const Gpu&) const = default;
};

// What an agent found out about its machine (stable facts, sent at registration).
struct NodeFacts {
  std::string hostname;
  std::string os;
  std::string kernel;
  std::string arch;
  std::string cpu_model;
  int cores = 0;
  uint64_t memory_bytes = 0;
  uint64_t disk_bytes = 0;
  std::vector<Gpu> gpus;
  bool can_run_containers = false;
  bool has_bubblewrap = false;
  bool operator==(const NodeFacts&) const = default;
};

// What an agent sends to POST /api/v1/nodes. `id` is empty on first registration; an agent
// that registered before sends the id it stored, and keeps it.
struct NodeRegistration {
  std::string id;
  std::string name;  // defaults to the hostname
  Level level = Level::edge;
  std::string parent;  // node id of the upstream agent; empty means the server
  std::map<std::string, std::string> labels;
  NodeFacts facts;
  std::string agent_version;
  std::string ingest_url;  // where children send data (empty: none)
};

// Resource usage at one heartbeat.
// One buffer stream of a node's data plane (ARCHITECTURE.md §4), as heartbeats report it.
struct BufferKpis {
  std::string stream;
  uint64_t backlog_records = 0;  // not yet forwarded (agents) or applied (server)
  uint64_t bytes = 0;
  uint64_t max_bytes = 0;        // saturation = bytes / max_bytes
  int64_t oldest_age_ms = 0;     // of the oldest record not yet forwarded
  double in_rate = 0;            // records/s appended
  double out_rate = 0;           // records/s forwarded
  uint64_t dropped = 0;          // by the full/age policy, since the agent started
  uint64_t rejected = 0;         // appends refused (policy reject)
  uint64_t failures = 0;         // failed forward attempts
  std::string last_error;
};

// One task the agent runs (issue #7: per-task usage in heartbeats).
struct TaskKpis {
  std::string id;
  std::string state;         // pending, running, backoff, failed, finished
  double cpu_percent = 0;    // of one core
  uint64_t rss_bytes = 0;
  int restarts = 0;          // within its restart policy's window
};

// The agent's ingest from its broker.
struct IngestKpis {
  std::string broker_url;
  bool broker_running = false;
  uint64_t broker_restarts = 0;
  uint64_t messages = 0;
  uint64_t samples = 0;
  uint64_t events = 0;
  uint64_t invalid_messages = 0;
  uint64_t rejected_fields = 0;
};

struct NodeKpis {
  double cpu_percent = 0;
  double load1 = 0;
  uint64_t memory_used_bytes = 0;
  uint64_t memory_available_bytes = 0;
  uint64_t disk_used_bytes = 0;
  uint64_t disk_free_bytes = 0;
  double net_rx_rate = 0;
  double net_tx_rate = 0;
  std::vector<BufferKpis> buffers;
  std::optional<IngestKpis> ingest;
  std::vector<TaskKpis> tasks;
};

struct Heartbeat {
  int64_t sent_ns = 0;  // agent's clock
  NodeKpis kpis;
};

struct Node {
  std::string id;
  std::string name;
  Level level = Level::edge;
  std::string parent;
  std::map<std::string, std::string> labels;
  NodeFacts facts;
  std::string agent_version;
  std::string ingest_url;
  // The IAM group the node belongs to: its join token's, "default" when it registered without
  // joining. Set by the server, never taken from the agent's registration.
  std::string group = "default";
  NodeState state = NodeState::ready;
  int64_t registered_ns = 0;
  int64_t last_seen_ns = 0;
  std::optional<NodeKpis> kpis;
};

// Node ids: [a-z0-9-], 1..64 characters.
Status validate_node_id(std::string_view id);
// Label keys [A-Za-z0-9._/-] 1..63, values printable without control characters, ≤ 253.
Status validate_labels(const std::map<std::string, std::string>& labels);

}  // namespace iotwins::model
