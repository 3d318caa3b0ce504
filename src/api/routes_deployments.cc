// /api/v1/deployments: TOSCA computing chains deployed, updated and undeployed through the
// orchestrator, and /api/v1/nodes/{id}/watch: the desired task set an agent runs.
//
// Body of POST and PUT, either
//   - JSON (Content-Type application/json): {"template": "<TOSCA YAML text>", "inputs": {…}}, or
//   - the raw YAML template (any other Content-Type, e.g. application/yaml), inputs as query
//     parameters ?input.NAME=VALUE (typed as `iotwins validate --input` types them).
// Both are the same to the orchestrator: the template text and a JSON object of inputs. The
// deployment's IAM group: the JSON body's "group" or ?group= (POST: default "default"; PUT: a group
// moves it, none keeps it); every route narrows to the deployment's group (api/group_scope.h).
#include <nlohmann/json.hpp>

#include "api/group_scope.h"
#include "api/http_server.h"
#include "api/node_watch.h"
#include "api/problem.h"
#include "api/query_params.h"
#include "api/routes.h"
#include "api/twin_http.h"
#include "orchestrator/json.h"
#include "orchestrator/orchestrator.h"
#include "resource/node_registry.h"
#include "tosca/validate.h"

namespace iotwins::api {
namespace {

using nlohmann::json;
using orchestrator::Orchestrator;

constexpr std::string_view kInputPrefix = "input.";

struct DeploymentRequest {
  std::string template_text;
  std::string inputs_json = "{}";
  std::optional<std::string> group;  // named by the request
};

Result<DeploymentRequest> deployment_request(const Request& req) {
  DeploymentRequest out;
  std::vector<std::string> assignments;
  for (const auto& [k, v] : req.query) {
    if (k.starts_with(kInputPrefix) && k.size() > kInputPrefix.size()) {
      assignments.push_back(k.substr(kInputPrefix.size()) + "=" + v);
    } else if (k != "group") {
      return make_error(Errc::invalid_argument,
                        "unknown query parameter '" + k + "' (accepted: group, input.NAME=VALUE with a YAML body)");
    }
  }
  const std::string* type = req.header("Content-Type");
  if (type && type->starts_with("application/json")) {
    if (!assignments.empty()) {
      return make_error(Errc::invalid_argument,
                        "query parameters input.NAME go with a YAML body; a JSON body carries its own \"inputs\"");
    }
    IOT_ASSIGN(auto body, parse_json_body(req));
    if (!body.is_object() || !body.contains("template") || !body["template"].is_string()) {
      return make_error(Errc::invalid_argument, "template: a JSON body needs a string field 'template' holding the YAML");
    }
    for (auto it = body.begin(); it != body.end(); ++it) {
      if (it.key() != "template" && it.key() != "inputs" && it.key() != "group") {
        return make_error(Errc::invalid_argument, "unknown field '" + it.key() + "' (accepted: template, inputs, group)");
      }
    }
    IOT_ASSIGN(out.group, requested_group(req, body.contains("group") ? &body["group"] : nullptr));
    out.template_text = body["template"].get<std::string>();
    if (body.contains("inputs")) {
      if (!body["inputs"].is_object()) return make_error(Errc::invalid_argument, "inputs: expected an object of input values");
      out.inputs_json = body["inputs"].dump();
    }
  } else {
    out.template_text = req.body;
    IOT_ASSIGN(auto inputs, tosca::parse_input_assignments(assignments));
    out.inputs_json = tosca::value_to_json(inputs);
    IOT_ASSIGN(out.group, requested_group(req, nullptr));
  }
  if (out.template_text.empty()) {
    return make_error(Errc::invalid_argument, "the request has no template; send TOSCA YAML or {\"template\": …}");
  }
  return out;
}

// The deployment with its instances and outputs; ETag = its revision (If-Match of PUT, DELETE).
Response deployment_response(Orchestrator& orch, int status, const orchestrator::Deployment& d) {
  auto instances = orch.instances(d.id);
  if (!instances) return problem(instances.error());
  auto outputs = orch.outputs(d.id);
  if (!outputs) return problem(outputs.error());
  Response r;
  r.status = status;
  r.headers["ETag"] = "\"" + std::to_string(d.revision) + "\"";
  r.body = orchestrator::deployment_json({.deployment = &d, .instances = &*instances, .outputs = &*outputs});
  return r;
}

// If-Match as the deployment's revision; nullopt when absent.
Result<std::optional<int64_t>> if_match_revision(const Request& req) {
  auto rev = if_match_version(req);
  if (!rev) return make_error(Errc::invalid_argument, "If-Match must be the deployment's revision (its ETag), e.g. \"3\"");
  return *rev;
}

Result<int64_t> resume_revision(const Request& req) {
  IOT_TRY(only_params(req, {"revision"}));
  return int_param(req, "revision", 0, 0, INT64_MAX);
}

void add_node_watch_routes(Router& router, const Services& s) {
  Orchestrator& orch = *s.orchestrator;
  NodeWatches& watches = *s.node_watches;
  resource::NodeRegistry& nodes = *s.nodes;
  router.websocket(
      "/api/v1/nodes/{id}/watch",
      [&watches](const Request& req, std::shared_ptr<WebSocketConnection> conn) {
        auto after = resume_revision(req);
        if (!after) {
          conn->send(json{{"error", after.error().message()}}.dump());
          conn->close();
          return;
        }
        watches.add(req.param("id"), *after, std::move(conn));
      },
      {.summary = "the node's desired task set {node, revision, tasks}: WebSocket pushes each new revision "
                  "(?revision=N: only newer ones); a plain GET answers the current set",
       .kind = iam::ResourceKind::deployments, .verb = iam::Verb::read},
      [&orch, &nodes](Request& req) {
        auto after = resume_revision(req);
        if (!after) return problem(after.error());
        auto node = nodes.get(req.param("id"));
        if (!node) return problem(node.error());
        auto set = orch.desired(node->id);
        if (!set) return problem(set.error());
        Response r;
        r.headers["ETag"] = "\"" + std::to_string(set->revision) + "\"";
        if (req.query_param("revision") && set->revision <= *after) {
          r.status = 304;  // the agent has it already
          return r;
        }
        r.body = orchestrator::desired_json(*set);
        return r;
      });
}

}  // namespace

void add_deployment_routes(Router& router, const Services& s) {
  Orchestrator& orch = *s.orchestrator;
  constexpr iam::ResourceKind kind = iam::ResourceKind::deployments;

  router.add(Method::POST, "/api/v1/deployments", [&orch](Request& req) {
    auto body = deployment_request(req);
    if (!body) return problem(body.error());
    std::string group = body->group.value_or(std::string(orchestrator::kDefaultGroup));
    if (!allowed(req, iam::Verb::write, iam::ResourceKind::deployments, group)) {
      return no_write_in(req, iam::ResourceKind::deployments, group);
    }
    auto d = orch.create(body->template_text, body->inputs_json, group);
    if (!d) return problem(d.error());
    Response r = deployment_response(orch, 201, *d);
    r.headers["Location"] = "/api/v1/deployments/" + percent_encode(d->id);
    return r;
  }, {.max_body = 8 * 1024 * 1024,
      .summary = "deploy a TOSCA template: JSON {template, inputs, group} or the raw YAML with ?input.NAME=VALUE "
                 "(and ?group=); in group 'default' unless one is named (403 without write there); "
                 "invalid → 400 with every diagnostic, unplaceable → 201 CREATE_FAILED with the reasons",
      .kind = iam::ResourceKind::deployments, .verb = iam::Verb::write});

  router.add(Method::GET, "/api/v1/deployments", [&orch](Request& req) {
    if (auto st = only_params(req, {}); !st) return problem(st.error());
    auto list = orch.list();
    if (!list) return problem(list.error());
    json items = json::array();
    iam::GroupFilter visible = visible_groups(req, iam::ResourceKind::deployments);
    for (const auto& d : *list) {
      if (visible.contains(d.group)) items.push_back(json::parse(orchestrator::deployment_json({.deployment = &d})));
    }
    return json_response(200, {{"items", items}, {"count", items.size()}});
  }, {.summary = "every deployment with its group, status and revision (those of groups the caller may read)",
      .kind = iam::ResourceKind::deployments, .verb = iam::Verb::read});

  router.add(Method::GET, "/api/v1/deployments/{id}", group_gated(deployment_of(orch), kind, iam::Verb::read,
                                                                   [&orch](Request& req) {
    auto d = orch.get(req.param("id"));
    if (!d) return problem(d.error());
    return deployment_response(orch, 200, *d);
  }), {.summary = "one deployment: status, reason, node instances (node, state), outputs; ETag = revision",
      .kind = iam::ResourceKind::deployments, .verb = iam::Verb::read});

  router.add(Method::PUT, "/api/v1/deployments/{id}", group_gated(deployment_of(orch), kind, iam::Verb::write,
                                                                   [&orch](Request& req) {
    auto rev = if_match_revision(req);
    if (!rev) return problem(rev.error());
    auto body = deployment_request(req);
    if (!body) return problem(body.error());
    if (body->group && !allowed(req, iam::Verb::write, iam::ResourceKind::deployments, *body->group)) {
      return no_write_in(req, iam::ResourceKind::deployments, *body->group);
    }
    auto d = orch.update(req.param("id"), body->template_text, body->inputs_json, *rev, body->group);
    if (!d) return problem(d.error());
    return deployment_response(orch, 200, *d);
  }), {.max_body = 8 * 1024 * 1024,
      .summary = "update a deployment (same bodies as POST; a group moves it there, 403 without write in it); "
                 "only changed instances get new specs; If-Match: its revision, 409 when stale",
      .kind = iam::ResourceKind::deployments, .verb = iam::Verb::write});

  router.add(Method::DELETE, "/api/v1/deployments/{id}", group_gated(deployment_of(orch), kind, iam::Verb::delete_,
                                                                      [&orch](Request& req) {
    auto rev = if_match_revision(req);
    if (!rev) return problem(rev.error());
    if (*rev) {
      auto current = orch.get(req.param("id"));
      if (!current) return problem(current.error());
      if (current->revision != **rev) {
        return problem(409, "conflict", "Conflict",
                       "deployment " + current->id + " is at revision " + std::to_string(current->revision) +
                           ", not " + std::to_string(**rev));
      }
    }
    auto d = orch.remove(req.param("id"));
    if (!d) return problem(d.error());
    return deployment_response(orch, 202, *d);
  }), {.summary = "undeploy: every task leaves its node's desired set (DELETE_IN_PROGRESS until the agents "
                 "stopped them); If-Match: its revision, 409 when stale",
      .kind = iam::ResourceKind::deployments, .verb = iam::Verb::delete_});

  router.add(Method::GET, "/api/v1/deployments/{id}/events", group_gated(deployment_of(orch), kind, iam::Verb::read,
                                                                          [&orch](Request& req) {
    if (auto st = only_params(req, {"after", "limit"}); !st) return problem(st.error());
    auto after = int_param(req, "after", 0, 0, INT64_MAX);
    if (!after) return problem(after.error());
    auto limit = int_param(req, "limit", 1000, 1, 1000);
    if (!limit) return problem(limit.error());
    auto events = orch.events(req.param("id"), *after, static_cast<int>(*limit));
    if (!events) return problem(events.error());
    Response r;
    r.body = orchestrator::events_json(*events);
    return r;
  }), {.summary = "the deployment's event log (?after=SEQ&limit=1..1000): status changes, placements, task events",
      .kind = iam::ResourceKind::deployments, .verb = iam::Verb::read});

  if (s.node_watches && s.nodes) add_node_watch_routes(router, s);
}

}  // namespace iotwins::api
