// /api/v1/nodes: registration, heartbeats, listing, drain. A node belongs to the IAM group of the
// join token its agent joined with ("default" without one); lists and every route narrow to the
// node's group, except that an agent (principal node:<id>) always reaches its own node.
#include <nlohmann/json.hpp>

#include "api/group_scope.h"
#include "api/problem.h"
#include "api/routes.h"
#include "dataplane/buffer/receiver.h"
#include "model/json.h"
#include "orchestrator/orchestrator.h"
#include "resource/node_registry.h"
#include "twins/service.h"

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

constexpr size_t kMaxAttachedListed = 1000;

// Capacity and allocation (the orchestrator's tasks placed there), the services it hosts (its
// agent's broker, deployed broker and store services) and the twins attached to it.
Status add_resources(nlohmann::json& view, const model::Node& node, orchestrator::Orchestrator* orch,
                     twins::TwinService* twins) {
  view["capacity"] = {{"cpu_millis", int64_t{node.facts.cores} * 1000},
                      {"memory_bytes", node.facts.memory_bytes},
                      {"gpus", node.facts.gpus.size()}};
  nlohmann::json services = nlohmann::json::array();
  if (node.kpis && node.kpis->ingest && !node.kpis->ingest->broker_url.empty()) {
    services.push_back({{"type", "mqtt-broker"}, {"provided_by", "agent"}, {"url", node.kpis->ingest->broker_url},
                        {"running", node.kpis->ingest->broker_running}});
  }
  int64_t cpu = 0, memory = 0;
  nlohmann::json tasks = nlohmann::json::array();
  if (orch) {
    IOT_ASSIGN(auto placed, orch->placed_on(node.id));
    for (const auto& n : placed) {
      cpu += static_cast<int64_t>(n.spec->resources.cpu * 1000);
      memory += static_cast<int64_t>(n.spec->resources.memory_bytes);
      tasks.push_back({{"task", n.task_id}, {"deployment", n.deployment}, {"name", n.name},
                       {"state", orchestrator::to_string(n.state)}});
      if (n.spec->builtin.starts_with("iotwins.nodes.Service.")) {
        auto endpoint = n.attributes.find("endpoint");
        services.push_back({{"type", n.spec->builtin}, {"provided_by", n.task_id},
                            {"url", endpoint == n.attributes.end() ? "" : endpoint->second}});
      }
    }
  }
  view["allocated"] = {{"cpu_millis", cpu}, {"memory_bytes", memory}, {"tasks", tasks}};
  view["services"] = services;
  if (twins) {
    auto page = twins->changes_after(0, kMaxAttachedListed, {.node = node.id});
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& item : page.items) {
      if (!item.deleted) ids.push_back(item.id);
    }
    view["twins"] = ids;
  }
  return ok();
}

// Registration: the agent of a node that joined brings its identity's group (a node principal is
// an agent of exactly that group); anyone else registers into the node's group, "default" for a
// new one, and needs write on nodes there.
Result<std::optional<std::string>> registration_group(const Request& req, resource::NodeRegistry& nodes,
                                                      const std::string& id, std::optional<Response>& refusal) {
  if (is_own_node(req, id)) {
    const auto& groups = req.principal->groups;
    return std::optional<std::string>(groups.empty() ? std::string(kDefaultGroup) : groups.front());
  }
  if (!req.principal) return std::optional<std::string>();
  std::string group(kDefaultGroup);
  bool known = false;
  if (!id.empty()) {
    auto node = nodes.get(id);
    if (!node && node.error().code() != Errc::not_found) return std::unexpected(node.error());
    if (node) group = node->group, known = true;
  }
  if (!allowed(req, iam::Verb::write, iam::ResourceKind::nodes, group)) {
    refusal = known ? refused(req, iam::Verb::write, iam::ResourceKind::nodes, group, "node '" + id + "'")
                    : no_write_in(req, iam::ResourceKind::nodes, group);
  }
  return std::optional<std::string>();
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
    std::optional<Response> refusal;
    auto group = registration_group(req, nodes, reg->id, refusal);
    if (!group) return problem(group.error());
    if (refusal) return std::move(*refusal);
    auto node = nodes.register_node(*reg, *group);
    if (!node) return problem(node.error());
    Response r = json_response(201, node_view(*node, clock, ingest));
    r.headers["Location"] = "/api/v1/nodes/" + node->id;
    return r;
  }, {.max_body = 64 * 1024, .summary = "register a node (agents); its group is its join token's (default without one)",
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
    iam::GroupFilter visible = visible_groups(req, iam::ResourceKind::nodes);
    for (const auto& n : nodes.list()) {
      if (!visible.contains(n.group) && !is_own_node(req, n.id)) continue;
      if (level && model::to_string(n.level) != *level) continue;
      if (state && model::to_string(n.state) != *state) continue;
      items.push_back(node_view(n, clock, ingest));
    }
    return json_response(200, {{"items", items}, {"count", items.size()}});
  }, {.summary = "list nodes of the groups the caller may read, with their group (?level=, ?state=)", .kind = iam::ResourceKind::nodes, .verb = iam::Verb::read});

  orchestrator::Orchestrator* orchestrator = s.orchestrator;
  twins::TwinService* twins = s.twins;
  const ObjectOf node_in = node_of(nodes);
  constexpr iam::ResourceKind kind = iam::ResourceKind::nodes;
  router.add(Method::GET, "/api/v1/nodes/{id}", group_gated(node_in, kind, iam::Verb::read,
                                                             [&nodes, &clock, ingest, orchestrator, twins](Request& req) {
    auto node = nodes.get(req.param("id"));
    if (!node) return problem(node.error());
    nlohmann::json view = node_view(*node, clock, ingest);
    if (auto st = add_resources(view, *node, orchestrator, twins); !st) return problem(st.error());
    return json_response(200, view);
  }), {.summary = "one node with its facts, latest KPIs, capacity and what is allocated, the services it hosts "
                 "and the twins attached to it",
      .kind = iam::ResourceKind::nodes, .verb = iam::Verb::read});

  router.add(Method::PUT, "/api/v1/nodes/{id}/heartbeat", group_gated(node_in, kind, iam::Verb::write,
                                                                       [&nodes, &clock, ingest](Request& req) {
    auto body = parse_json_body(req);
    if (!body) return problem(body.error());
    auto hb = model::heartbeat_from_json(*body);
    if (!hb) return problem(hb.error());
    auto node = nodes.heartbeat(req.param("id"), *hb);
    if (!node) return problem(node.error());
    return json_response(200, node_view(*node, clock, ingest));
  }), {.max_body = 64 * 1024, .summary = "record a heartbeat with KPIs (agents)",
      .kind = iam::ResourceKind::nodes, .verb = iam::Verb::write,
      .audit_answers = false});

  orchestrator::Orchestrator* orch = s.orchestrator;
  router.add(Method::POST, "/api/v1/nodes/{id}/drain", group_gated(node_in, kind, iam::Verb::write,
                                                                    [&nodes, &clock, ingest, orch](Request& req) {
    auto enable = parse_bool_param(req, "enable", true);
    if (!enable) return problem(enable.error());
    auto node = nodes.set_draining(req.param("id"), *enable);
    if (!node) return problem(node.error());
    // The node's tasks move now, not at the next periodic pass.
    if (orch && *enable) {
      if (auto st = orch->reconcile(); !st) return problem(st.error());
    }
    return json_response(200, node_view(*node, clock, ingest));
  }), {.summary = "stop placing tasks on a node and move its deployed tasks elsewhere (?enable=false undoes it)",
      .kind = iam::ResourceKind::nodes, .verb = iam::Verb::write});

  router.add(Method::DELETE, "/api/v1/nodes/{id}", group_gated(node_in, kind, iam::Verb::delete_, [&nodes](Request& req) {
    return problem_or(nodes.remove(req.param("id")));
  }), {.summary = "forget a node", .kind = iam::ResourceKind::nodes, .verb = iam::Verb::delete_});
}

}  // namespace iotwins::api
