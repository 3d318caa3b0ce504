#include "naive.h"

#include <algorithm>
#include <map>

#include "scheduler/interner.h"

namespace iotwins::scheduler::bench {
namespace {

const std::string kNone = "\x01none";

bool matches(const LabelRequirement& r, const std::map<std::string, std::string>& labels) {
  auto it = labels.find(r.key);
  const bool has = it != labels.end();
  const bool in = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
  switch (r.op) {
    case LabelRequirement::Op::eq:
    case LabelRequirement::Op::in: return in;
    case LabelRequirement::Op::ne:
    case LabelRequirement::Op::not_in: return !in;
    case LabelRequirement::Op::exists: return has;
    case LabelRequirement::Op::not_exists: return !has;
  }
  return false;
}

bool has_match(const NodeSnapshot& node, const TaskSelector& sel) {
  for (const TaskPlacement& t : node.tasks) {
    if (!sel.deployment.empty() && t.deployment != sel.deployment) continue;
    if (!sel.group.empty() && t.group != sel.group) continue;
    bool all = true;
    for (const LabelRequirement& r : sel.labels) all = all && matches(r, t.labels);
    if (all) return true;
  }
  return false;
}

bool has_driver(const NodeSnapshot& n, const std::string& d) {
  if (d == "oci" && n.has_oci) return true;
  if (d == "bwrap" && n.has_bubblewrap) return true;
  return std::find(n.drivers.begin(), n.drivers.end(), d) != n.drivers.end();
}

const std::string& label_or_none(const NodeSnapshot& n, const std::string& key) {
  auto it = n.labels.find(key);
  return it == n.labels.end() ? kNone : it->second;
}

}  // namespace

NaiveScheduler::NaiveScheduler(std::vector<NodeSnapshot> nodes, SchedulerConfig config)
    : nodes_(std::move(nodes)), config_(config) {
  for (size_t i = 0; i < nodes_.size(); ++i) by_id_[nodes_[i].id] = i;
}

const NodeSnapshot* NaiveScheduler::subtree_root(const NodeSnapshot& node) const {
  const NodeSnapshot* cur = &node;
  for (size_t depth = 0; depth <= nodes_.size(); ++depth) {
    if (cur->level == Level::edge) return cur;
    auto parent = by_id_.find(cur->parent);
    if (cur->parent.empty() || parent == by_id_.end()) break;
    cur = &nodes_[parent->second];
  }
  return &node;
}

bool NaiveScheduler::near(const NodeSnapshot& node, const PlacementRequest& r, bool host_only) const {
  auto hosts = [&](const NodeSnapshot& n) {
    const auto& list = r.near->kind == Near::Kind::twin ? n.twins : n.services;
    return std::find(list.begin(), list.end(), r.near->target) != list.end();
  };
  if (hosts(node)) return true;
  if (host_only) return false;
  return std::find(near_roots_.begin(), near_roots_.end(), subtree_root(node)) != near_roots_.end();
}

bool NaiveScheduler::feasible(const NodeSnapshot& n, const PlacementRequest& r) const {
  if (n.state != NodeState::ready) return false;
  if (r.level && n.level != *r.level) return false;
  if (!r.arch.empty() && n.arch != r.arch) return false;
  for (const std::string& d : r.drivers) {
    if (!has_driver(n, d)) return false;
  }
  for (const LabelRequirement& l : r.selector) {
    if (!matches(l, n.labels)) return false;
  }
  if (r.near && r.near->required && !near(n, r, r.near->scope == Near::Scope::node)) return false;
  if (n.allocated.cpu_millis + r.resources.cpu_millis > n.capacity.cpu_millis) return false;
  if (n.allocated.memory_bytes + r.resources.memory_bytes > n.capacity.memory_bytes) return false;
  if (n.allocated.gpus + r.resources.gpus > n.capacity.gpus) return false;
  for (const AffinityTerm& t : r.affinity) {
    if (t.required && has_match(n, t.tasks) == t.anti) return false;
  }
  return true;
}

double NaiveScheduler::score(const NodeSnapshot& n, const PlacementRequest& r) const {
  double sum = 0;
  int dims = 0;
  auto share = [](int64_t a, int64_t q, int64_t c) { return std::min(1.0, static_cast<double>(a + q) / c); };
  if (n.capacity.cpu_millis > 0) sum += share(n.allocated.cpu_millis, r.resources.cpu_millis, n.capacity.cpu_millis), ++dims;
  if (n.capacity.memory_bytes > 0) {
    sum += share(n.allocated.memory_bytes, r.resources.memory_bytes, n.capacity.memory_bytes), ++dims;
  }
  if (r.resources.gpus > 0 && n.capacity.gpus > 0) sum += share(n.allocated.gpus, r.resources.gpus, n.capacity.gpus), ++dims;
  const double used = dims == 0 ? 0 : sum / dims;
  double total = config_.fit_weight * (config_.strategy == Strategy::binpack ? used : 1 - used);

  int preferred = 0, got = 0;
  for (const AffinityTerm& t : r.affinity) {
    if (t.required) continue;
    preferred += t.weight;
    if (has_match(n, t.tasks) != t.anti) got += t.weight;
  }
  if (preferred > 0) total += config_.affinity_weight * (static_cast<double>(got) / preferred);

  if (r.spread) {
    double s = 1;
    if (spread_max_ != spread_min_) {
      const std::string& v = label_or_none(n, r.spread->key);
      uint32_t c = 0;
      for (const auto& [value, count] : domains_) {
        if (value == v) c = count;
      }
      s = static_cast<double>(spread_max_ - c) / static_cast<double>(spread_max_ - spread_min_);
    }
    total += config_.spread_weight * (r.spread->weight / 100.0) * s;
  }
  if (r.near) {
    double s = near(n, r, true) ? 1 : near(n, r, false) ? 0.5 : 0;
    total += config_.near_weight * s;
  }
  return total;
}

std::optional<std::string> NaiveScheduler::place(const PlacementRequest& r) {
  domains_.clear();
  if (r.spread) {
    auto add = [&](const std::string& v, uint32_t by) {
      for (auto& [value, count] : domains_) {
        if (value == v) {
          count += by;
          return;
        }
      }
      domains_.emplace_back(v, by);
    };
    for (const NodeSnapshot& n : nodes_) {
      if (n.state == NodeState::ready) add(label_or_none(n, r.spread->key), 0);
    }
    for (const NodeSnapshot& n : nodes_) {
      if (n.state == NodeState::draining || n.state == NodeState::down) continue;
      for (const TaskPlacement& t : n.tasks) {
        if (t.deployment == r.deployment && t.group == r.group) add(label_or_none(n, r.spread->key), 1);
      }
    }
    spread_min_ = UINT32_MAX;
    spread_max_ = 0;
    for (const auto& [value, count] : domains_) {
      spread_min_ = std::min(spread_min_, count);
      spread_max_ = std::max(spread_max_, count);
    }
  }
  near_roots_.clear();
  if (r.near) {
    for (const NodeSnapshot& n : nodes_) {
      const auto& list = r.near->kind == Near::Kind::twin ? n.twins : n.services;
      if (std::find(list.begin(), list.end(), r.near->target) != list.end()) near_roots_.push_back(subtree_root(n));
    }
  }
  const uint64_t request_seed = detail::mix(config_.seed ^ detail::stable_hash(r.id));
  NodeSnapshot* best = nullptr;
  double best_score = 0;
  uint64_t best_tie = 0;
  for (NodeSnapshot& n : nodes_) {
    if (!feasible(n, r)) continue;
    const double s = score(n, r);
    const uint64_t tie = detail::mix(detail::stable_hash(n.id) ^ request_seed);
    if (best == nullptr || s > best_score || (s == best_score && tie < best_tie)) {
      best = &n;
      best_score = s;
      best_tie = tie;
    }
  }
  if (best == nullptr) return std::nullopt;
  best->allocated.cpu_millis += r.resources.cpu_millis;
  best->allocated.memory_bytes += r.resources.memory_bytes;
  best->allocated.gpus += r.resources.gpus;
  best->tasks.push_back({r.id, r.deployment, r.group, r.task_labels});
  return best->id;
}

}  // namespace iotwins::scheduler::bench
