// Scheduler inputs and outputs: a snapshot of nodes, placement requests, the plan. Plain values;
// the registry and orchestrator convert their own types into these, so the scheduler depends on
// nothing but core and stays a pure function that can be benchmarked from recorded state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins::scheduler {

enum class Level : uint8_t { iot, edge, cloud };
std::string_view to_string(Level level);
Result<Level> parse_level(std::string_view text);

// As the resource registry reports it. Only `ready` nodes take new placements; tasks already on
// `unreachable` nodes stay (and keep their resources) until the node is `down`; `draining` and
// `down` nodes hold tasks that must move (see tasks_to_move).
enum class NodeState : uint8_t { ready, unreachable, draining, down };
std::string_view to_string(NodeState state);
Result<NodeState> parse_node_state(std::string_view text);

struct Resources {
  int64_t cpu_millis = 0;    // 1000 = one core
  int64_t memory_bytes = 0;
  int64_t gpus = 0;
  bool operator==(const Resources&) const = default;
};

// A task already placed on a node: what affinity, anti-affinity and spread count.
struct TaskPlacement {
  std::string id;
  std::string deployment;
  std::string group;  // a node template of the deployment; replicas share it
  std::map<std::string, std::string> labels;
  bool operator==(const TaskPlacement&) const = default;
};

struct NodeSnapshot {
  std::string id;
  Level level = Level::edge;
  NodeState state = NodeState::ready;
  std::string arch;    // normalised: x86_64, aarch64, armv7l ...
  std::string parent;  // upstream node id; empty: the server
  Resources capacity;
  Resources allocated;  // the registry's total for the tasks on the node (tasks below add nothing)
  std::map<std::string, std::string> labels;
  bool has_oci = false;        // can start OCI containers: provides driver "oci"
  bool has_bubblewrap = false; // provides driver "bwrap"
  std::vector<std::string> drivers;   // further task drivers: "exec", ...
  std::vector<std::string> services;  // hosted services: "broker", "store", ...
  std::vector<std::string> twins;     // twins attached to this node (their devices talk to it)
  std::vector<TaskPlacement> tasks;
  bool operator==(const NodeSnapshot&) const = default;
};

// One term of a node label selector, Kubernetes style: "zone=a", "zone!=a", "zone in (a,b)",
// "zone notin (a,b)", "gpu" (exists), "!gpu" (does not exist).
struct LabelRequirement {
  enum class Op : uint8_t { eq, ne, in, not_in, exists, not_exists };
  std::string key;
  Op op = Op::exists;
  std::vector<std::string> values;  // one for eq/ne, one or more for in/not_in, none otherwise
  bool operator==(const LabelRequirement&) const = default;
};
// Parses the textual form above; the error says what is wrong in which part.
Result<LabelRequirement> parse_label_requirement(std::string_view text);
std::string to_string(const LabelRequirement& requirement);

// Which existing tasks a term is about: every non-empty part must match.
struct TaskSelector {
  std::string deployment;
  std::string group;
  std::vector<LabelRequirement> labels;  // over the tasks' labels
  bool operator==(const TaskSelector&) const = default;
};

// Node-scoped: affinity wants a node already running a matching task, anti-affinity a node that
// runs none. Required terms filter; preferred ones score with their weight.
struct AffinityTerm {
  TaskSelector tasks;
  bool anti = false;
  bool required = false;
  int weight = 50;  // 1..100, preferred terms only
  bool operator==(const AffinityTerm&) const = default;
};

// Prefer nodes whose value of a node label (zone, site) holds the fewest tasks of the same
// deployment and group. Nodes without the label form one domain of their own.
struct Spread {
  std::string key;
  int weight = 50;  // 1..100
  bool operator==(const Spread&) const = default;
};

// Place close to a twin's node or a service's node: on that node, or in its edge subtree (the
// nearest edge ancestor-or-self of a node and everything under it).
struct Near {
  enum class Kind : uint8_t { twin, service };
  enum class Scope : uint8_t { node, subtree };
  Kind kind = Kind::twin;
  std::string target;
  Scope scope = Scope::subtree;
  bool required = false;  // false: only preferred when scoring
  bool operator==(const Near&) const = default;
};

struct PlacementRequest {
  std::string id;  // task id, unique in a batch
  std::string deployment;
  std::string group;
  std::optional<Level> level;  // unset: any level
  Resources resources;
  std::string arch;  // empty: any
  std::vector<LabelRequirement> selector;
  std::vector<std::string> drivers;  // every one must be available on the node
  std::map<std::string, std::string> task_labels;  // recorded on the node for later terms
  std::vector<AffinityTerm> affinity;
  std::optional<Spread> spread;
  std::optional<Near> near;
  bool operator==(const PlacementRequest&) const = default;
};

enum class Strategy : uint8_t { binpack, spread };
std::string_view to_string(Strategy strategy);
Result<Strategy> parse_strategy(std::string_view text);

struct SchedulerConfig {
  // binpack fills the most used nodes first (fewer machines busy); spread the least used.
  Strategy strategy = Strategy::binpack;
  double fit_weight = 1.0;       // resource fit score
  double affinity_weight = 1.0;  // preferred affinity terms
  double spread_weight = 1.0;    // label spread
  double near_weight = 1.0;      // preferred nearness
  // Candidate search: with at most exhaustive_limit candidate nodes every one is scored; above
  // it the walk starts at a per-request pseudo-random offset and stops after sample_feasible
  // feasible nodes (Nomad's limit). A request fails only when no candidate at all is feasible,
  // so sampling trades the optimality of the choice, never whether a task is placed.
  // sample_feasible = 0 means always exhaustive.
  uint32_t exhaustive_limit = 256;
  uint32_t sample_feasible = 32;
  uint64_t seed = 0;  // tie-breaks and sampling offsets; same seed + same input = same plan
};

struct Assignment {
  std::string request_id;
  std::string node_id;
  double score = 0;
  bool operator==(const Assignment&) const = default;
};

// Why nodes were rejected: each node counts once, under the first filter it failed.
struct FilterCount {
  std::string filter;  // "level mismatch", "insufficient memory", ...
  uint32_t nodes = 0;
  bool operator==(const FilterCount&) const = default;
};

struct Failure {
  std::string request_id;
  uint32_t nodes_evaluated = 0;
  std::vector<FilterCount> reasons;  // most nodes first
  std::string explanation;  // "no node fits task t1: 3 nodes: level mismatch; 2 nodes: insufficient memory"
  bool operator==(const Failure&) const = default;
};

struct Plan {
  std::vector<Assignment> assignments;  // in request order
  std::vector<Failure> failures;        // in request order
  bool operator==(const Plan&) const = default;
};

}  // namespace iotwins::scheduler
