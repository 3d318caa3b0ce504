#include "twin/hierarchy.h"

namespace iotwins::twin {
namespace {

int rank(Level level) {
  switch (level) {
    case Level::iot: return 0;
    case Level::edge: return 1;
    case Level::cloud: return 2;
    case Level::unset: break;
  }
  return -1;
}

std::unexpected<Error> unknown(std::string_view id) {
  return make_error(Errc::not_found, "twin " + std::string(id) + " is not in the hierarchy");
}

}  // namespace

Result<Hierarchy> Hierarchy::build(std::vector<HierarchyNode> nodes) {
  Hierarchy h;
  for (auto& n : nodes) {
    IOT_TRY(validate_twin_id(n.id));
    auto [it, inserted] = h.nodes_.emplace(n.id, Entry{.parent = n.parent, .level = n.level});
    if (!inserted) {
      return make_error(Errc::already_exists, "twin " + n.id + " appears twice");
    }
  }
  for (auto& [id, entry] : h.nodes_) {
    if (entry.parent.empty()) continue;
    auto p = h.nodes_.find(entry.parent);
    if (p == h.nodes_.end()) {
      return make_error(Errc::not_found,
                        "twin " + id + ": parent " + entry.parent + " is not among the twins");
    }
    p->second.children.insert(id);
  }
  // Every twin must reach a root. Each walk stops at a twin already proven to reach one, so
  // the whole check is linear; meeting a twin of the current walk again means a cycle.
  std::map<std::string_view, int> state;  // 1: on the current walk, 2: reaches a root
  for (const auto& [id, entry] : h.nodes_) {
    std::vector<std::string_view> walk;
    std::string_view at = id;
    while (!at.empty() && state[at] != 2) {
      if (state[at] == 1) {
        return make_error(Errc::invalid_argument, "twin " + std::string(at) +
                                                      " is in a parent cycle");
      }
      state[at] = 1;
      walk.push_back(at);
      at = h.find(at)->parent;
    }
    for (auto w : walk) state[w] = 2;
  }
  for (const auto& [id, entry] : h.nodes_) IOT_TRY(h.check_one_level(id, entry));
  return h;
}

const Hierarchy::Entry* Hierarchy::find(std::string_view id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

Status Hierarchy::check_one_level(std::string_view id, const Entry& entry) const {
  if (entry.level == Level::unset) return ok();
  for (const Entry* at = find(entry.parent); at != nullptr; at = find(at->parent)) {
    if (at->level == Level::unset) continue;
    if (rank(at->level) < rank(entry.level)) {
      return make_error(Errc::invalid_argument,
                        "twin " + std::string(id) + " is at level " +
                            std::string(level_name(entry.level)) +
                            " but sits under a twin at level " +
                            std::string(level_name(at->level)) +
                            " (iot goes under edge, edge under cloud)");
    }
    return ok();  // the nearest twin with a level decides
  }
  return ok();
}

Status Hierarchy::check_levels(std::string_view id) const {
  const Entry* entry = find(id);
  if (entry == nullptr) return unknown(id);
  IOT_TRY(check_one_level(id, *entry));
  IOT_ASSIGN(auto below, descendants(id));
  for (const auto& d : below) IOT_TRY(check_one_level(d, *find(d)));
  return ok();
}

Status Hierarchy::add(HierarchyNode node) {
  IOT_TRY(validate_twin_id(node.id));
  if (contains(node.id)) {
    return make_error(Errc::already_exists, "twin " + node.id + " is already in the hierarchy");
  }
  if (!node.parent.empty() && !contains(node.parent)) {
    return make_error(Errc::not_found,
                      "twin " + node.id + ": parent " + node.parent + " does not exist");
  }
  Entry entry{.parent = node.parent, .level = node.level};
  IOT_TRY(check_one_level(node.id, entry));
  if (!node.parent.empty()) nodes_.find(node.parent)->second.children.insert(node.id);
  nodes_.emplace(std::move(node.id), std::move(entry));
  return ok();
}

Status Hierarchy::set_parent(std::string_view id, std::string_view parent) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return unknown(id);
  if (!parent.empty()) {
    if (!contains(parent)) {
      return make_error(Errc::not_found, "twin " + std::string(id) + ": parent " +
                                             std::string(parent) + " does not exist");
    }
    if (parent == id || is_under(parent, id)) {
      return make_error(Errc::invalid_argument,
                        "twin " + std::string(id) + " cannot move under " + std::string(parent) +
                            ": that would make a cycle");
    }
  }
  const std::string old_parent = it->second.parent;
  auto relink = [&](const std::string& from, std::string_view to) {
    if (!from.empty()) nodes_.find(from)->second.children.erase(it->first);
    if (!to.empty()) nodes_.find(to)->second.children.insert(it->first);
    it->second.parent = std::string(to);
  };
  relink(old_parent, parent);
  if (auto s = check_levels(id); !s) {
    relink(std::string(parent), old_parent);  // put it back: a refused move changes nothing
    return s;
  }
  return ok();
}

Status Hierarchy::set_level(std::string_view id, Level level) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return unknown(id);
  const Level old = it->second.level;
  it->second.level = level;
  if (auto s = check_levels(id); !s) {
    it->second.level = old;
    return s;
  }
  return ok();
}

Status Hierarchy::remove(std::string_view id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return unknown(id);
  if (!it->second.children.empty()) {
    return make_error(Errc::conflict, "twin " + std::string(id) + " still has " +
                                          std::to_string(it->second.children.size()) +
                                          " children (first: " + *it->second.children.begin() +
                                          ")");
  }
  if (!it->second.parent.empty()) nodes_.find(it->second.parent)->second.children.erase(it->first);
  nodes_.erase(it);
  return ok();
}

bool Hierarchy::contains(std::string_view id) const { return find(id) != nullptr; }

Result<std::string> Hierarchy::parent_of(std::string_view id) const {
  const Entry* e = find(id);
  if (e == nullptr) return unknown(id);
  return e->parent;
}

Result<std::vector<std::string>> Hierarchy::children(std::string_view id) const {
  const Entry* e = find(id);
  if (e == nullptr) return unknown(id);
  return std::vector<std::string>(e->children.begin(), e->children.end());
}

Result<std::vector<std::string>> Hierarchy::ancestors(std::string_view id) const {
  const Entry* e = find(id);
  if (e == nullptr) return unknown(id);
  std::vector<std::string> out;
  while (!e->parent.empty()) {
    out.push_back(e->parent);
    e = find(e->parent);
  }
  return out;
}

Result<std::vector<std::string>> Hierarchy::descendants(std::string_view id) const {
  const Entry* e = find(id);
  if (e == nullptr) return unknown(id);
  std::vector<std::string> out;
  // An explicit stack: trees from untrusted stores may be deep.
  std::vector<std::pair<const Entry*, std::set<std::string, std::less<>>::const_iterator>> stack;
  stack.emplace_back(e, e->children.begin());
  while (!stack.empty()) {
    auto& [entry, next] = stack.back();
    if (next == entry->children.end()) {
      stack.pop_back();
      continue;
    }
    const std::string& child = *next++;
    out.push_back(child);
    const Entry* c = find(child);
    stack.emplace_back(c, c->children.begin());
  }
  return out;
}

bool Hierarchy::is_under(std::string_view id, std::string_view ancestor) const {
  const Entry* e = find(id);
  while (e != nullptr && !e->parent.empty()) {
    if (e->parent == ancestor) return true;
    e = find(e->parent);
  }
  return false;
}

UnderFn Hierarchy::under_fn() const {
  return [this](std::string_view id, std::string_view ancestor) { return is_under(id, ancestor); };
}

}  // namespace iotwins::twin
