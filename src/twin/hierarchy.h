// The twin tree (site -> line -> machine -> component): parent, children, ancestors, cycle
// rejection and the level rule (iot under edge under cloud). Pure and in memory; the registry
// owns one and rebuilds it from stored twins at start.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "twin/document.h"
#include "twin/query.h"

namespace iotwins::twin {

struct HierarchyNode {
  std::string id;
  std::string parent;  // empty for a root
  Level level = Level::unset;
};

// Not thread-safe: the owner serialises writers and readers (one lock around it).
class Hierarchy {
 public:
  // From nodes in any order (a store's scan). Every parent must be one of the nodes; cycles and
  // level violations are errors naming the twins.
  static Result<Hierarchy> build(std::vector<HierarchyNode> nodes);

  // A new twin under an existing parent (or a root).
  Status add(HierarchyNode node);
  // Moves a twin (with its subtree) under `parent` ("" makes it a root); refuses cycles.
  Status set_parent(std::string_view id, std::string_view parent);
  Status set_level(std::string_view id, Level level);
  // Removes a leaf; a twin with children must have them moved or removed first.
  Status remove(std::string_view id);

  bool contains(std::string_view id) const;
  std::size_t size() const { return nodes_.size(); }
  Result<std::string> parent_of(std::string_view id) const;
  Result<std::vector<std::string>> children(std::string_view id) const;  // sorted by id
  Result<std::vector<std::string>> ancestors(std::string_view id) const;  // nearest first
  // Every twin below `id`, depth-first, children in id order.
  Result<std::vector<std::string>> descendants(std::string_view id) const;
  // True when `ancestor` is a strict ancestor of `id`; false for unknown twins.
  bool is_under(std::string_view id, std::string_view ancestor) const;
  // is_under as a query callback; valid while this Hierarchy lives and is not modified.
  UnderFn under_fn() const;

 private:
  struct Entry {
    std::string parent;
    Level level = Level::unset;
    std::set<std::string, std::less<>> children;
  };
  using Map = std::map<std::string, Entry, std::less<>>;

  const Entry* find(std::string_view id) const;
  // Level rule for `id` and every twin below it, given the current links.
  Status check_levels(std::string_view id) const;
  Status check_one_level(std::string_view id, const Entry& entry) const;

  Map nodes_;
};

}  // namespace iotwins::twin
