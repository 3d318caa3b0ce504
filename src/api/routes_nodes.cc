// /api/v1/nodes: registration, heartbeats, listing, drain.
#include <nlohmann/json.hpp>

#include "api/problem.h"
#include "api/routes.h"
#include "dataplane/buffer/receiver.h"
#include "model/json.h"
#include "orchestrator/orchestrator.h"
#include "resource/node_registry.h"

namespace iotwins::api {
namespace {

nlohmann::json node_view(const model::Node& node, const Clock& clock, const dataplane::Receiver* ingest) {
  nlohmann::json j = model::to_json(node);
  j["last_seen_age_ms"] = (clock.now_ns() - node.last_seen_ns) / 1'000'000;
  if (ingest) {
    // Device timestamp → durable in the cloud, for the samples this node sent.
    auto d = ingest->delay(node.id);
    j["ingest_delay"] = {{"samples", d.samples}, {"p50_ms", d.p50_ms}, {"p99_ms", d.p99_ms}};
  }
  return j;
}

Result<bool> parse_bool_param(const Request& req, const char* name, bool fallback) {
  const std::string* v = req.query_param(name);
  if (v == nullptr) return fallback;
  if (*v == "true" || *v == "1" || v->empty()) return true;
  if (*v == "false" || *v == "0") return false;
  return make_error(Errc::invalid_argument,
                    std::string("query parameter '") + name + "' must be true or false");
}

}  // namespace

void add_node_routes(Router& router, const Services& s) {
  resource::NodeRegistry& nodes = *s.nodes;
  const Clock& clock = *s.clock;
  const dataplane::Receiver* ingest = s.ingest;

  router.add(Method::POST, "/api/v1/nodes", [&nodes, &clock, ingest](Request& req) {
    auto body = parse_json_body(req);
    if (!body) return problem(body.error());
    auto reg = model::registration_from_json(*body);
    if (!reg) return problem(reg.error());
    auto node = nodes.register_node(*reg);
    if (!node) return problem(node.error());
    Response r = json_response(201, node_view(*node, clock, ingest));
    r.headers["Location"] = "/api/v1/nodes/" + node->id;
    return r;
  }, {.max_body = 64 * 1024, .summary = "register a node (agents)",
      .kind = iam::ResourceKind::nodes, .verb = iam::Verb::write});

  router.add(Method::GET, "/api/v1/nodes", [&nodes, &clock, ingest](Request& req) {
    const std::string* level = req.query_param("level");
    const std::string* state = req.query_param("state");
    if (level && !model::parse_level(*level)) {
      return problem(400, "invalid_argument", "Bad Request",
                     "query parameter 'level': " + model::parse_level(*level).error().message());
    }
    if (state && !model::parse_node_state(*state)) {
      return problem(400, "invalid_argument", "Bad Request",
                     "query parameter 'state': " + model::parse_node_state(*state).error().message());
    }
    nlohmann::json items = nlohmann::json::array();
    for (const auto& n : nodes.list()) {
      if (level && model::to_string(n.level) != *level) continue;
      if (state && model::to_string(n.state) != *state) continue;
      items.push_back(node_view(n, clock, ingest));
    }
    return json_response(200, {{"items", items}, {"count", items.size()}});
  }, {.summary = "list nodes (?level=, ?state=)", .kind = iam::ResourceKind::nodes, .verb = iam::Verb::read});

  router.add(Method::GET, "/api/v1/nodes/{id}", [&nodes, &clock, ingest](Request& req) {
    auto node = nodes.get(req.param("id"));
    if (!node) return problem(node.error());
    return json_response(200, node_view(*node, clock, ingest));
  }, {.summary = "one node with its facts and latest KPIs",
      .kind = iam::ResourceKind::nodes, .verb = iam::Verb::read});

  router.add(Method::PUT, "/api/v1/nodes/{id}/heartbeat", [&nodes, &clock, ingest](Request& req) {
    auto body = parse_json_body(req);
    if (!body) return problem(body.error());
    auto hb = model::heartbeat_from_json(*body);
    if (!hb) return problem(hb.error());
    auto node = nodes.heartbeat(req.param("id"), *hb);
    if (!node) return problem(node.error());
    return json_response(200, node_view(*node, clock, ingest));
  }, {.max_body = 64 * 1024, .summary = "record a heartbeat with KPIs (agents)",
      .kind = iam::ResourceKind::nodes, .verb = iam::Verb::write,
      .audit_answers = false});

  orchestrator::Orchestrator* orch = s.orchestrator;
  router.add(Method::POST, "/api/v1/nodes/{id}/drain", [&nodes, &clock, ingest, orch](Request& req) {
    auto enable = parse_bool_param(req, "enable", true);
    if (!enable) return problem(enable.error());
    auto node = nodes.set_draining(req.param("id"), *enable);
    if (!node) return problem(node.error());
    // The node's tasks move now, not at the next periodic pass.
    if (orch && *enable) {
      if (auto st = orch->reconcile(); !st) return problem(st.error());
    }
    return json_response(200, node_view(*node, clock, ingest));
  }, {.summary = "stop placing tasks on a node and move its deployed tasks elsewhere (?enable=false undoes it)",
      .kind = iam::ResourceKind::nodes, .verb = iam::Verb::write});

  router.add(Method::DELETE, "/api/v1/nodes/{id}", [&nodes](Request& req) {
    return problem_or(nodes.remove(req.param("id")));
  }, {.summary = "forget a node", .kind = iam::ResourceKind::nodes, .verb = iam::Verb::delete_});
}

}  // namespace iotwins::api
