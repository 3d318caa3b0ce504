#include "iam/authorizer.h"

#include <cstdint>

namespace iotwins::iam {
namespace {

// Verb bits per (role, kind). R read, W write, D delete, A admin.
constexpr uint8_t R = 1, W = 2, D = 4, A = 8;
constexpr uint8_t kAll = R | W | D | A;

constexpr size_t kKinds = std::size(kAllResourceKinds);

// Rows follow kAllResourceKinds: nodes, deployments, templates, twins, twin-models, series,
// models, artifacts, objects, events, iam, audit.
constexpr uint8_t kMatrix[5][kKinds] = {
    // admin: everything, including role bindings and the audit log.
    {kAll, kAll, kAll, kAll, kAll, kAll, kAll, kAll, kAll, kAll, kAll, kAll},
    // operator: runs the fleet — nodes, deployments, twins, data; reads IAM, no audit.
    {R | W | D, R | W | D, R | W, R | W | D, R | W, R | W, R, R | W, R | W | D, R | W, R, 0},
    // developer: builds chains, twin models and ML models; reads the fleet.
    {R, R | W | D, R | W | D, R | W, R | W | D, R, R | W | D, R | W | D, R | W, R, 0, 0},
    // viewer: reads everything of its groups, no IAM.
    {R, R, R, R, R, R, R, R, R, R, 0, 0},
    // agent: registers and heartbeats its node, reads its desired tasks and their artifacts,
    // writes twin state; and acts for the tasks it runs: a store or a trainer reads and writes
    // samples, a trainer uploads and registers the models it trains, a stream reads the event
    // log. Deletes nothing.
    {R | W, R, 0, R | W, R, R | W, R | W, R | W, R | W, R | W, 0, 0},
};

size_t index_of(ResourceKind kind) { return static_cast<size_t>(kind); }
size_t index_of(Role role) { return static_cast<size_t>(role); }
uint8_t bit(Verb verb) {
  switch (verb) {
    case Verb::read: return R;
    case Verb::write: return W;
    case Verb::delete_: return D;
    case Verb::admin: return A;
  }
  return 0;
}

std::string grants_text(const Principal& p) {
  if (p.grants.empty()) return "no role bindings";
  std::string out = "roles: ";
  for (size_t i = 0; i < p.grants.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::string(to_string(p.grants[i].role)) + " in " +
           (p.grants[i].scope == kAllGroups ? std::string("all groups") : "group " + p.grants[i].scope);
  }
  return out;
}

}  // namespace

std::string_view to_string(Verb verb) {
  switch (verb) {
    case Verb::read: return "read";
    case Verb::write: return "write";
    case Verb::delete_: return "delete";
    case Verb::admin: return "admin";
  }
  return "unknown";
}

Result<Verb> parse_verb(std::string_view text) {
  for (Verb v : kAllVerbs) {
    if (to_string(v) == text) return v;
  }
  return make_error(Errc::invalid_argument, "unknown verb \"" + std::string(text.substr(0, 64)) + "\"");
}

std::string_view to_string(ResourceKind kind) {
  static constexpr std::string_view kNames[] = {"nodes",  "deployments", "templates", "twins",
                                                "twin-models", "series", "models", "artifacts",
                                                "objects", "events", "iam", "audit"};
  return kNames[index_of(kind)];
}

Result<ResourceKind> parse_resource_kind(std::string_view text) {
  for (ResourceKind k : kAllResourceKinds) {
    if (to_string(k) == text) return k;
  }
  return make_error(Errc::invalid_argument, "unknown resource kind \"" + std::string(text.substr(0, 64)) + "\"");
}

bool is_global(ResourceKind kind) { return kind == ResourceKind::iam || kind == ResourceKind::audit; }

bool role_allows(Role role, Verb verb, ResourceKind kind) {
  return (kMatrix[index_of(role)][index_of(kind)] & bit(verb)) != 0;
}

Decision Authorizer::decide(const Principal& principal, Verb verb, ResourceKind kind, std::string_view group) {
  bool global = is_global(kind);
  for (const Grant& g : principal.grants) {
    bool in_scope = g.scope == kAllGroups || (!global && !group.empty() && g.scope == group);
    if (!in_scope || !role_allows(g.role, verb, kind)) continue;
    return Decision{true, "role " + std::string(to_string(g.role)) + " bound to " + g.via +
                              (g.scope == kAllGroups ? " in all groups" : " in group " + g.scope) +
                              " allows " + std::string(to_string(verb)) + " on " + std::string(to_string(kind))};
  }
  std::string where = global ? std::string() : group.empty() ? " (resource has no group)" : " in group " + std::string(group);
  return Decision{false, principal.subject.to_string() + " may not " + std::string(to_string(verb)) + " " +
                             std::string(to_string(kind)) + where + " (" + grants_text(principal) + ")"};
}

GroupFilter Authorizer::visible_groups(const Principal& principal, Verb verb, ResourceKind kind) {
  GroupFilter filter;
  for (const Grant& g : principal.grants) {
    if (!role_allows(g.role, verb, kind)) continue;
    if (g.scope == kAllGroups) {
      filter.all = true;
    } else if (!is_global(kind)) {
      filter.groups.insert(g.scope);
    }
  }
  if (filter.all) filter.groups.clear();
  return filter;
}

}  // namespace iotwins::iam
