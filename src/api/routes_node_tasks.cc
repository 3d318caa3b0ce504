// Agents' task reports and task logs.
//   Server: POST /api/v1/nodes/{id}/tasks         the agent's TaskReport (runtime/task_report.h):
//                                                 events → orchestrator report(), task list →
//                                                 report_states(), attributes → set_attributes()
//           GET  /api/v1/deployments/{id}/logs    each task's log tail, read from the agent that runs
//                                                 it (its --listen endpoint, the node's ingest_url)
//   Agent:  GET  /api/v1/tasks/{id}/logs          one task's log tail (?stream=stdout|stderr, ?tail=bytes)
#include <nlohmann/json.hpp>

#include "api/group_scope.h"
#include "api/http_client.h"
#include "api/problem.h"
#include "api/query_params.h"
#include "api/routes.h"
#include "core/log.h"
#include "orchestrator/orchestrator.h"
#include "resource/node_registry.h"
#include "runtime/task_report.h"

namespace iotwins::api {
namespace {

using nlohmann::json;

constexpr int64_t kDefaultTail = 64 * 1024;
constexpr int64_t kMaxTail = 4 * 1024 * 1024;

Result<std::string> stream_param(const Request& req) {
  const std::string* s = req.query_param("stream");
  if (s == nullptr) return std::string("stdout");
  if (*s != "stdout" && *s != "stderr") {
    return make_error(Errc::invalid_argument, "query parameter 'stream' must be stdout or stderr");
  }
  return *s;
}

Status apply_report(orchestrator::Orchestrator& orch, const std::string& node, const runtime::TaskReport& r) {
  for (const auto& e : r.events) IOT_TRY(orch.report(node, e));
  if (r.tasks) IOT_TRY(orch.report_states(node, *r.tasks));
  for (const auto& [task, attrs] : r.attributes) {
    auto st = orch.set_attributes(node, task, attrs);
    // A task the orchestrator no longer knows (undeployed meanwhile) is not the agent's error.
    if (!st && st.error().code() != Errc::not_found) return st;
  }
  return ok();
}

// One task's log from the agent on its node; the error text in place of the log when unreachable.
json read_remote_log(const model::Node& node, const std::string& task, const std::string& stream, int64_t tail,
                     const Request& req) {
  json out = {{"task", task}, {"node", node.id}, {"stream", stream}};
  if (node.ingest_url.empty()) {
    out["error"] = "node " + node.id + " has no agent endpoint";
    return out;
  }
  ClientOptions options;
  options.connect_timeout = std::chrono::seconds(3);
  options.request_timeout = std::chrono::seconds(10);
  if (const std::string* auth = req.header("Authorization"); auth && auth->starts_with("Bearer ")) {
    options.bearer_token = auth->substr(7);
  }
  auto client = HttpClient::create(node.ingest_url, options);
  if (!client) {
    out["error"] = client.error().message();
    return out;
  }
  auto res = (*client)->request(Method::GET, "/api/v1/tasks/" + percent_encode(task) + "/logs?stream=" + stream +
                                                 "&tail=" + std::to_string(tail));
  if (!res) {
    out["error"] = "agent on " + node.id + " unreachable: " + res.error().message();
  } else if (!res->ok()) {
    out["error"] = error_from_response(*res, "logs").message();
  } else {
    out["log"] = res->body;
  }
  return out;
}

}  // namespace

void add_node_task_routes(Router& router, const Services& s) {
  orchestrator::Orchestrator& orch = *s.orchestrator;
  resource::NodeRegistry& nodes = *s.nodes;

  router.add(Method::POST, "/api/v1/nodes/{id}/tasks",
             group_gated(node_of(nodes), iam::ResourceKind::nodes, iam::Verb::write, [&orch, &nodes](Request& req) {
    auto node = nodes.get(req.param("id"));
    if (!node) return problem(node.error());
    auto report = runtime::decode_task_report(req.body);
    if (!report) return problem(report.error());
    if (auto st = apply_report(orch, node->id, *report); !st) return problem(st.error());
    return json_response(200, {{"events", report->events.size()},
                               {"tasks", report->tasks ? report->tasks->size() : 0}});
  }), {.max_body = 4 * 1024 * 1024,
      .summary = "an agent's task report: events since the last one, every task it holds, live attributes",
      .kind = iam::ResourceKind::nodes, .verb = iam::Verb::write});

  router.add(Method::GET, "/api/v1/deployments/{id}/logs",
             group_gated(deployment_of(orch), iam::ResourceKind::deployments, iam::Verb::read,
                         [&orch, &nodes](Request& req) {
    if (auto st = only_params(req, {"task", "stream", "tail"}); !st) return problem(st.error());
    auto stream = stream_param(req);
    if (!stream) return problem(stream.error());
    auto tail = int_param(req, "tail", kDefaultTail, 1, kMaxTail);
    if (!tail) return problem(tail.error());
    auto instances = orch.instances(req.param("id"));
    if (!instances) return problem(instances.error());
    const std::string* only = req.query_param("task");
    json items = json::array();
    for (const auto& n : *instances) {
      if (n.task_id.empty() || n.node_id.empty()) continue;
      if (only && *only != n.task_id && *only != n.name) continue;
      auto node = nodes.get(n.node_id);
      if (!node) {
        items.push_back({{"task", n.task_id}, {"node", n.node_id}, {"error", node.error().message()}});
        continue;
      }
      items.push_back(read_remote_log(*node, n.task_id, *stream, *tail, req));
    }
    if (only && items.empty()) {
      return problem(404, "not_found", "Not Found", "deployment " + req.param("id") + " has no task " + *only);
    }
    return json_response(200, {{"items", items}, {"count", items.size()}});
  }), {.summary = "the tail of each task's log, read from the agents (?task=<id or node template>, "
                 "?stream=stdout|stderr, ?tail=<bytes>)",
      .kind = iam::ResourceKind::deployments, .verb = iam::Verb::read});
}

void add_agent_task_routes(Router& router, const Services& s) {
  if (!s.task_log) return;
  auto read = s.task_log;
  router.add(Method::GET, "/api/v1/tasks/{id}/logs", [read](Request& req) {
    if (auto st = only_params(req, {"stream", "tail"}); !st) return problem(st.error());
    auto stream = stream_param(req);
    if (!stream) return problem(stream.error());
    auto tail = int_param(req, "tail", kDefaultTail, 1, kMaxTail);
    if (!tail) return problem(tail.error());
    auto text = read(req.param("id"), *stream, static_cast<size_t>(*tail));
    if (!text) return problem(text.error());
    Response r;
    r.headers["Content-Type"] = "text/plain; charset=utf-8";
    r.body = std::move(*text);
    return r;
  }, {.summary = "the tail of a task's log on this agent (?stream=stdout|stderr, ?tail=<bytes>)",
      .kind = iam::ResourceKind::deployments, .verb = iam::Verb::read});
}

}  // namespace iotwins::api
