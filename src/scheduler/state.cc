#include "scheduler/state.h"

#include <algorithm>
#include <map>
#include <utility>

namespace iotwins::scheduler::detail {
namespace {

std::unexpected<Error> node_error(size_t index, const std::string& id, const std::string& what) {
  return make_error(Errc::invalid_argument, "node #" + std::to_string(index) + " '" + id + "': " + what);
}

Status check_resources(size_t index, const std::string& id, const char* name, const Resources& r) {
  if (r.cpu_millis < 0) return node_error(index, id, std::string(name) + ".cpu_millis is negative");
  if (r.memory_bytes < 0) return node_error(index, id, std::string(name) + ".memory_bytes is negative");
  if (r.gpus < 0) return node_error(index, id, std::string(name) + ".gpus is negative");
  return ok();
}

constexpr uint32_t kUnresolved = 0xffffffffu;
constexpr uint32_t kNoEdge = 0xfffffffeu;
constexpr uint32_t kVisiting = 0xfffffffdu;

}  // namespace

void SpreadDomains::activate(uint32_t domain) {
  if (active[domain]) return;
  // An inactive domain holds no task yet (increment_on activates first), so it joins at 0.
  active[domain] = 1;
  if (histogram.empty()) histogram.resize(1, 0);
  ++histogram[0];
  min = 0;
}

void SpreadDomains::increment_on(uint32_t node) {
  const uint32_t domain = domains->node_domain[node];
  activate(domain);
  uint32_t& c = counts[domain];
  --histogram[c];
  ++c;
  if (histogram.size() <= c) histogram.resize(c + 1, 0);
  ++histogram[c];
  if (c > max) max = c;
  // Counts only grow: when the last domain at the minimum moves up, the minimum is one more.
  if (c - 1 == min && histogram[min] == 0) ++min;
}

Result<State> State::build(std::vector<NodeSnapshot> snapshot) {
  State s;
  const size_t n = snapshot.size();
  if (n >= kUnresolved - 2) return make_error(Errc::too_large, "snapshot: too many nodes");
  s.nodes.resize(n);
  s.tasks.resize(n);
  std::unordered_map<std::string_view, uint32_t> index_of;
  index_of.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const NodeSnapshot& src = snapshot[i];
    if (src.id.empty()) return node_error(i, src.id, "empty id");
    if (!index_of.emplace(src.id, static_cast<uint32_t>(i)).second) return node_error(i, src.id, "duplicate id");
    IOT_TRY(check_resources(i, src.id, "capacity", src.capacity));
    IOT_TRY(check_resources(i, src.id, "allocated", src.allocated));
    NodeRec& rec = s.nodes[i];
    rec.capacity = src.capacity;
    rec.allocated = src.allocated;
    rec.level = src.level;
    rec.state = src.state;
    rec.arch = s.strings.intern(src.arch);
    rec.tie_hash = stable_hash(src.id);
    rec.labels_begin = static_cast<uint32_t>(s.node_labels.size());
    for (const auto& [k, v] : src.labels) s.node_labels.push_back({s.strings.intern(k), s.strings.intern(v)});
    rec.labels_end = static_cast<uint32_t>(s.node_labels.size());
    std::sort(s.node_labels.begin() + rec.labels_begin, s.node_labels.end(),
              [](const LabelPair& a, const LabelPair& b) { return a.key < b.key; });

    auto add_driver = [&](std::string_view name) -> Status {
      Id id = s.strings.intern(name);
      auto [it, added] = s.driver_bit.emplace(id, static_cast<uint32_t>(s.driver_bit.size()));
      if (it->second >= 64) return node_error(i, src.id, "more than 64 distinct task drivers in the snapshot");
      rec.drivers |= uint64_t{1} << it->second;
      return ok();
    };
    for (const std::string& d : src.drivers) IOT_TRY(add_driver(d));
    if (src.has_oci) IOT_TRY(add_driver("oci"));
    if (src.has_bubblewrap) IOT_TRY(add_driver("bwrap"));
    for (const std::string& t : src.twins) s.twin_hosts[s.strings.intern(t)].push_back(static_cast<uint32_t>(i));
    for (const std::string& v : src.services) {
      s.service_hosts[s.strings.intern(v)].push_back(static_cast<uint32_t>(i));
    }
    for (const TaskPlacement& t : src.tasks) {
      TaskRec task{static_cast<uint32_t>(s.task_ids.size()), s.strings.intern(t.deployment),
                   s.strings.intern(t.group), static_cast<uint32_t>(s.task_labels.size()), 0};
      s.task_ids.push_back(t.id);
      for (const auto& [k, v] : t.labels) s.task_labels.push_back({s.strings.intern(k), s.strings.intern(v)});
      task.labels_end = static_cast<uint32_t>(s.task_labels.size());
      s.tasks[i].push_back(task);
      // Tasks on draining and down nodes are about to move (tasks_to_move): they no longer count
      // for spread. Affinity never looks at them since those nodes take no placements.
      if (src.state != NodeState::down && src.state != NodeState::draining) {
        s.groups[group_key(task.deployment, task.group)].nodes.push_back(static_cast<uint32_t>(i));
      }
    }
  }

  // Edge subtrees: resolve[i] is the nearest edge ancestor-or-self, kNoEdge when the chain has none.
  std::vector<uint32_t> resolve(n, kUnresolved);
  std::vector<uint32_t> chain;
  for (size_t i = 0; i < n; ++i) {
    chain.clear();
    uint32_t cur = static_cast<uint32_t>(i);
    uint32_t found = kNoEdge;
    while (true) {
      if (resolve[cur] == kVisiting) {
        return node_error(cur, snapshot[cur].id, "its parent chain loops back to itself");
      }
      if (resolve[cur] != kUnresolved) {
        found = resolve[cur];
        break;
      }
      if (s.nodes[cur].level == Level::edge) {
        found = cur;
        break;
      }
      resolve[cur] = kVisiting;
      chain.push_back(cur);
      auto parent = index_of.find(snapshot[cur].parent);
      if (snapshot[cur].parent.empty() || parent == index_of.end()) break;
      cur = parent->second;
    }
    if (resolve[cur] == kUnresolved && s.nodes[cur].level == Level::edge) resolve[cur] = cur;
    for (uint32_t c : chain) resolve[c] = found;
  }
  s.subtree_members.resize(n);
  for (size_t i = 0; i < n; ++i) {
    s.nodes[i].subtree_root = resolve[i] == kNoEdge ? static_cast<uint32_t>(i) : resolve[i];
    s.subtree_members[s.nodes[i].subtree_root].push_back(static_cast<uint32_t>(i));
  }

  // Only ready nodes take new tasks, so only they are indexed for the candidate search.
  std::map<std::pair<int, Id>, std::vector<uint32_t>> classes;
  for (size_t i = 0; i < n; ++i) {
    if (s.nodes[i].state != NodeState::ready) continue;
    classes[{static_cast<int>(s.nodes[i].level), s.nodes[i].arch}].push_back(static_cast<uint32_t>(i));
  }
  for (auto& [key, members] : classes) {
    s.classes.push_back({static_cast<Level>(key.first), key.second, std::move(members)});
  }

  s.original_task_count_.resize(n);
  for (size_t i = 0; i < n; ++i) s.original_task_count_[i] = static_cast<uint32_t>(s.tasks[i].size());
  s.original_ = std::move(snapshot);
  return s;
}

Id State::label_value(uint32_t node, Id key) const {
  const NodeRec& rec = nodes[node];
  for (uint32_t i = rec.labels_begin; i < rec.labels_end; ++i) {
    if (node_labels[i].key == key) return node_labels[i].value;
    if (node_labels[i].key > key) break;
  }
  return kNoId;
}

SpreadDomains& State::spread_domains(uint64_t group, Id key) {
  GroupInfo& info = groups[group];
  for (SpreadDomains& d : info.spreads) {
    if (d.key == key) return d;
  }
  auto kd = key_domains.find(key);
  if (kd == key_domains.end()) {
    KeyDomains built;
    built.node_domain.resize(nodes.size());
    std::unordered_map<Id, uint32_t> index;  // label value (kNoId: no label) -> domain
    for (uint32_t i = 0; i < nodes.size(); ++i) {
      auto [it, added] = index.emplace(label_value(i, key), built.count);
      if (added) {
        ++built.count;
        built.ready.push_back(0);
      }
      built.node_domain[i] = it->second;
      if (nodes[i].state == NodeState::ready) built.ready[it->second] = 1;
    }
    kd = key_domains.emplace(key, std::move(built)).first;
  }
  SpreadDomains d;
  d.key = key;
  d.domains = &kd->second;
  d.counts.assign(kd->second.count, 0);
  d.active.assign(kd->second.count, 0);
  for (uint32_t domain = 0; domain < kd->second.count; ++domain) {
    if (kd->second.ready[domain]) d.activate(domain);
  }
  for (uint32_t node : info.nodes) d.increment_on(node);
  info.spreads.push_back(std::move(d));
  return info.spreads.back();
}

void State::apply(uint32_t node, std::string_view task_id, Id deployment, Id group, const Resources& resources,
                  std::span<const LabelPair> labels) {
  NodeRec& rec = nodes[node];
  rec.allocated.cpu_millis += resources.cpu_millis;
  rec.allocated.memory_bytes += resources.memory_bytes;
  rec.allocated.gpus += resources.gpus;
  TaskRec task{static_cast<uint32_t>(task_ids.size()), deployment, group, static_cast<uint32_t>(task_labels.size()), 0};
  task_ids.emplace_back(task_id);
  task_labels.insert(task_labels.end(), labels.begin(), labels.end());
  task.labels_end = static_cast<uint32_t>(task_labels.size());
  tasks[node].push_back(task);
  GroupInfo& info = groups[group_key(deployment, group)];
  info.nodes.push_back(node);
  for (SpreadDomains& d : info.spreads) d.increment_on(node);
}

std::vector<NodeSnapshot> State::export_snapshot() const {
  std::vector<NodeSnapshot> out = original_;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].allocated = nodes[i].allocated;
    for (size_t t = original_task_count_[i]; t < tasks[i].size(); ++t) {
      const TaskRec& rec = tasks[i][t];
      TaskPlacement placed{task_ids[rec.id], strings.name(rec.deployment), strings.name(rec.group), {}};
      for (uint32_t l = rec.labels_begin; l < rec.labels_end; ++l) {
        placed.labels.emplace(strings.name(task_labels[l].key), strings.name(task_labels[l].value));
      }
      out[i].tasks.push_back(std::move(placed));
    }
  }
  return out;
}

}  // namespace iotwins::scheduler::detail
