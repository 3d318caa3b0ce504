#include "api/group_scope.h"

#include <nlohmann/json.hpp>

#include "api/problem.h"
#include "iam/model.h"
#include "orchestrator/orchestrator.h"
#include "resource/node_registry.h"
#include "twins/service.h"

namespace iotwins::api {

Result<std::optional<std::string>> requested_group(const Request& request, const nlohmann::json* body_group) {
  std::optional<std::string> group;
  if (body_group) {
    if (!body_group->is_string()) return make_error(Errc::invalid_argument, "field 'group' must be a string");
    group = body_group->get<std::string>();
  }
  if (const std::string* q = request.query_param("group")) {
    if (group && *group != *q) {
      return make_error(Errc::invalid_argument, "?group=" + q->substr(0, 64) + " and the body's group '" +
                                                    group->substr(0, 64) + "' differ; give one");
    }
    group = *q;
  }
  if (group) IOT_TRY(iam::validate_name(*group, "group"));
  return group;
}

Response no_write_in(const Request& request, iam::ResourceKind kind, std::string_view group) {
  return problem(403, "permission_denied", "Forbidden",
                 (request.principal ? request.principal->subject.to_string() : std::string("the caller")) +
                     " may not write " + std::string(iam::to_string(kind)) + " in group " + std::string(group));
}

bool is_node_agent(const Request& request) {
  return request.principal && request.principal->subject.kind == iam::SubjectKind::node;
}

bool is_own_node(const Request& request, std::string_view node_id) {
  return is_node_agent(request) && request.principal->subject.name == node_id;
}

bool own_group_allows(const Request& request, iam::Verb verb, iam::ResourceKind kind) {
  if (!request.principal) return true;
  const auto& groups = request.principal->groups;
  return !groups.empty() && allowed(request, verb, kind, groups.front());
}

Handler group_gated(ObjectOf object_of, iam::ResourceKind kind, iam::Verb verb, Handler inner) {
  return [object_of = std::move(object_of), kind, verb, inner = std::move(inner)](Request& req) {
    if (req.principal) {
      auto object = object_of(req);
      if (object && !allowed(req, verb, kind, object->group)) return refused(req, verb, kind, object->group, object->what);
    }
    return inner(req);
  };
}

GroupOfTwin twin_groups(twins::TwinService* twins, resource::NodeRegistry* nodes) {
  return [twins, nodes](std::string_view twin) -> std::string {
    constexpr std::string_view kNodePrefix = "node:";
    if (nodes && twin.starts_with(kNodePrefix)) {
      if (auto n = nodes->get(std::string(twin.substr(kNodePrefix.size())))) return n->group;
    }
    if (twins) {
      if (auto group = twins->group_of(twin)) return *group;
    }
    return std::string(kDefaultGroup);
  };
}

ObjectOf deployment_of(orchestrator::Orchestrator& orch) {
  return [&orch](const Request& req) -> std::optional<ScopedObject> {
    auto d = orch.get(req.param("id"));
    if (!d) return std::nullopt;
    return ScopedObject{d->group, "deployment '" + d->id + "'"};
  };
}

ObjectOf node_of(resource::NodeRegistry& nodes) {
  return [&nodes](const Request& req) -> std::optional<ScopedObject> {
    if (is_own_node(req, req.param("id"))) return std::nullopt;
    auto n = nodes.get(req.param("id"));
    if (!n) return std::nullopt;
    return ScopedObject{n->group, "node '" + n->id + "'"};
  };
}

}  // namespace iotwins::api
