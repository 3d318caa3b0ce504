// Group scoping of objects that belong to an IAM group (twins, deployments, models, nodes): the
// router's guard has checked the route's (kind, verb) "in some group"; these helpers narrow it to
// the group of the object a request names or creates (docs/security.md, "Group scoping").
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/auth.h"

namespace iotwins::orchestrator {
class Orchestrator;
}
namespace iotwins::resource {
class NodeRegistry;
}
namespace iotwins::twins {
class TwinService;
}

namespace iotwins::api {

// The group a request names: ?group= or `body_group` (the JSON body's "group" member, when the
// route's body has one); nullopt when neither does. Both given must agree, and it must be a group
// name (1-64 of A-Z a-z 0-9 . _ @ -); invalid_argument otherwise.
Result<std::optional<std::string>> requested_group(const Request& request, const nlohmann::json* body_group);

// 403: creating an object in, or moving one to, a group where the caller may not write `kind`.
Response no_write_in(const Request& request, iam::ResourceKind kind, std::string_view group);

// Whether the request comes from the agent of node `node_id` (principal node:<id>): an agent
// always reaches its own node record, whatever group that record is in.
bool is_own_node(const Request& request, std::string_view node_id);
// Whether the request comes from a node's agent. Agents read the models, series and events of
// every group: placement does not follow groups, so a task on their node may need any of them.
bool is_node_agent(const Request& request);
// Whether the caller's grants allow `verb` on `kind` in its own group (a node's: its join
// token's) — what an agent may do to an object that is its node's whatever the object's group.
bool own_group_allows(const Request& request, iam::Verb verb, iam::ResourceKind kind);

// The group of the object a request names and how to name it in a refusal; nullopt when there is
// no such object (the handler then answers 404, or creates it) or nothing to check.
struct ScopedObject {
  std::string group;
  std::string what;  // "deployment 'dep-3'"
};
using ObjectOf = std::function<std::optional<ScopedObject>(const Request&)>;
// `inner` behind group scoping: an object of a group where the caller may not `verb` `kind`
// answers refused() (403, or 404 when it may not even read it there) and `inner` does not run.
Handler group_gated(ObjectOf object_of, iam::ResourceKind kind, iam::Verb verb, Handler inner);

// The group of the twin a series or an event belongs to: the twin's, the node's for a node's
// own series ("node:<id>"), "default" for a twin neither knows. Either pointer may be null.
using GroupOfTwin = std::function<std::string(std::string_view twin)>;
GroupOfTwin twin_groups(twins::TwinService* twins, resource::NodeRegistry* nodes);

// The deployment of path parameter {id}.
ObjectOf deployment_of(orchestrator::Orchestrator& orch);
// The node of path parameter {id}; nothing to check when it is the caller's own node (an agent).
ObjectOf node_of(resource::NodeRegistry& nodes);

}  // namespace iotwins::api
