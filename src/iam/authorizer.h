// Authorizer: the permission matrix (role × resource kind → verbs) and the decision for one
// request: may this principal do `verb` on a `kind` resource that belongs to `group`?
// Group-scoped kinds (everything but iam and audit) are granted by a binding scoped to that
// group or to "*"; the global kinds only by "*" bindings. Pure and thread-safe.
// docs/security.md has the matrix as a table; a test checks the two agree.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "core/result.h"
#include "iam/model.h"

namespace iotwins::iam {

enum class Verb { read, write, delete_, admin };
inline constexpr Verb kAllVerbs[] = {Verb::read, Verb::write, Verb::delete_, Verb::admin};
std::string_view to_string(Verb verb);
Result<Verb> parse_verb(std::string_view text);

enum class ResourceKind {
  nodes, deployments, templates, twins, twin_models, series, models, artifacts, objects, events, iam, audit,
};
inline constexpr ResourceKind kAllResourceKinds[] = {
    ResourceKind::nodes,  ResourceKind::deployments, ResourceKind::templates, ResourceKind::twins,
    ResourceKind::twin_models, ResourceKind::series, ResourceKind::models,    ResourceKind::artifacts,
    ResourceKind::objects, ResourceKind::events,     ResourceKind::iam,       ResourceKind::audit,
};
std::string_view to_string(ResourceKind kind);  // "twin-models" …
Result<ResourceKind> parse_resource_kind(std::string_view text);
// iam and audit belong to no group.
bool is_global(ResourceKind kind);

// The static matrix: does `role` allow `verb` on `kind` (within the binding's scope)?
bool role_allows(Role role, Verb verb, ResourceKind kind);

struct Decision {
  bool allowed = false;
  std::string reason;  // which grant allowed it, or why nothing did
};

// Which groups a principal may `verb` `kind` in, for filtering lists.
struct GroupFilter {
  bool all = false;
  std::set<std::string> groups;
  bool contains(std::string_view group) const { return all || groups.contains(std::string(group)); }
};

class Authorizer {
 public:
  // `group` is the group the resource belongs to; ignored for global kinds. A resource of a
  // group-scoped kind with no group (legacy data) is reachable only through "*" grants.
  static Decision decide(const Principal& principal, Verb verb, ResourceKind kind, std::string_view group);
  static GroupFilter visible_groups(const Principal& principal, Verb verb, ResourceKind kind);
};

}  // namespace iotwins::iam
