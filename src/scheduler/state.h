// The scheduler's working copy of the snapshot: interned, indexed and updated as a batch is
// placed, so later requests see earlier ones. Internal to the scheduler.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "scheduler/interner.h"
#include "scheduler/types.h"

namespace iotwins::scheduler::detail {

struct LabelPair {
  Id key = kNoId, value = kNoId;
};

struct NodeRec {
  Resources capacity, allocated;
  uint64_t drivers = 0;       // bit per driver name (State::driver_bit)
  uint64_t tie_hash = 0;      // stable hash of the node id
  uint32_t labels_begin = 0, labels_end = 0;  // into State::node_labels, sorted by key
  uint32_t subtree_root = 0;  // nearest edge ancestor-or-self; itself when there is none
  Id arch = kNoId;
  Level level = Level::edge;
  NodeState state = NodeState::ready;
};

struct TaskRec {
  uint32_t id = 0;  // into State::task_ids: task ids are never compared, so not interned
  Id deployment = kNoId, group = kNoId;
  uint32_t labels_begin = 0, labels_end = 0;  // into State::task_labels
};

// The domains of one node label key: each distinct value is a domain, and nodes without the key
// form one more. Built once per key, so spread scoring is an array lookup per node.
struct KeyDomains {
  std::vector<uint32_t> node_domain;  // per node
  std::vector<uint8_t> ready;         // per domain: holds a ready node
  uint32_t count = 0;
};

// Tasks of one (deployment, group) per domain of one key: spread scoring. Domains with a ready
// node take part from the start; others only once they hold a task (on an unreachable node).
struct SpreadDomains {
  Id key = kNoId;
  const KeyDomains* domains = nullptr;  // owned by State::key_domains (node-stable map)
  std::vector<uint32_t> counts;         // per domain
  std::vector<uint8_t> active;          // per domain
  std::vector<uint32_t> histogram;      // [c] = how many active domains hold c tasks
  uint32_t min = 0, max = 0;

  uint32_t count_on(uint32_t node) const { return counts[domains->node_domain[node]]; }
  void activate(uint32_t domain);
  void increment_on(uint32_t node);
};

struct GroupInfo {
  std::vector<uint32_t> nodes;  // one entry per task of the group
  std::vector<SpreadDomains> spreads;
};

// Nodes that can take new placements, by (level, arch).
struct NodeClass {
  Level level;
  Id arch;
  std::vector<uint32_t> nodes;
};

inline uint64_t group_key(Id deployment, Id group) { return (uint64_t{deployment} << 32) | group; }

class State {
 public:
  // Validates and indexes the snapshot: ids unique and non-empty, quantities non-negative, at most
  // 64 distinct drivers, no loop in the parent chains.
  static Result<State> build(std::vector<NodeSnapshot> nodes);

  Id label_value(uint32_t node, Id key) const;
  const std::string& node_id(uint32_t node) const { return original_[node].id; }
  // Domains of (deployment, group) over a label key, built on first use and kept up to date.
  SpreadDomains& spread_domains(uint64_t group, Id key);
  // Records a placement: allocations, the task (for affinity and spread), the group.
  void apply(uint32_t node, std::string_view task_id, Id deployment, Id group, const Resources& resources,
             std::span<const LabelPair> task_labels);
  // The snapshot with every placement so far applied.
  std::vector<NodeSnapshot> export_snapshot() const;

  Interner strings;
  std::vector<NodeRec> nodes;
  std::vector<LabelPair> node_labels;
  std::vector<std::vector<TaskRec>> tasks;  // per node
  std::vector<LabelPair> task_labels;
  std::vector<std::string> task_ids;
  std::unordered_map<Id, uint32_t> driver_bit;  // driver name -> bit
  std::vector<NodeClass> classes;                // sorted by (level, arch)
  std::unordered_map<Id, std::vector<uint32_t>> twin_hosts, service_hosts;
  std::vector<std::vector<uint32_t>> subtree_members;  // by root node index
  std::unordered_map<uint64_t, GroupInfo> groups;
  std::unordered_map<Id, KeyDomains> key_domains;  // by label key, built on first use

 private:
  std::vector<NodeSnapshot> original_;
  std::vector<uint32_t> original_task_count_;
};

}  // namespace iotwins::scheduler::detail
