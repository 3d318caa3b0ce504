// GET /api/v1/events: the event log (device events, reported-state messages, later anomalies
// and lifecycle events), oldest first, with a cursor.
#include <nlohmann/json.hpp>


#include "api/group_scope.h"
#include "api/problem.h"
#include "api/query_params.h"
#include "api/routes.h"
#include "api/series_params.h"
#include "events/event_log.h"

namespace iotwins::api {
namespace {

Result<events::EventQuery> parse_events_query(const Request& req, int64_t now) {
  IOT_TRY(only_params(req, {"twin", "type", "after", "from", "to", "limit"}));
  events::EventQuery q;
  if (auto* t = req.query_param("twin")) q.twin = *t;
  if (auto* t = req.query_param("type")) q.type = *t;
  IOT_ASSIGN(q.after_id, int_param(req, "after", 0, 0, INT64_MAX));
  IOT_ASSIGN(int64_t limit, int_param(req, "limit", 100, 1, 1000));
  q.limit = static_cast<size_t>(limit);
  for (auto [name, out] : {std::pair{"from", &q.from_ns}, std::pair{"to", &q.to_ns}}) {
    if (auto* t = req.query_param(name)) {
      auto ns = series::parse_time(*t, now);
      if (!ns) return std::unexpected(ns.error());
      *out = *ns;
    }
  }
  return q;
}

}  // namespace

void add_event_routes(Router& router, const Services& s) {
  if (s.events == nullptr) return;
  events::EventLog& log = *s.events;
  const Clock& clock = *s.clock;
  GroupOfTwin group_of = twin_groups(s.twins, s.nodes);
  router.add(Method::GET, "/api/v1/events", [&log, &clock, group_of](Request& req) {
    auto q = parse_events_query(req, clock.now_ns());
    if (!q) return problem(q.error());
    auto evs = log.list(*q);
    if (!evs) return problem(evs.error());
    nlohmann::json items = nlohmann::json::array();
    // Group scoping: an event is its twin's; the cursor is the page's last id, shown or not.
    const bool every_group = is_node_agent(req) || visible_groups(req, iam::ResourceKind::events).all;
    for (const auto& e : *evs) {
      if (!every_group && !allowed(req, iam::Verb::read, iam::ResourceKind::events, group_of(e.twin))) continue;
      nlohmann::json payload = nlohmann::json::parse(e.json, nullptr, false);
      items.push_back({{"id", e.id},
                       {"twin", e.twin},
                       {"type", e.type},
                       {"ts", series::format_time(e.ts_ns)},
                       {"ts_ns", e.ts_ns},
                       {"data", payload.is_discarded() ? nlohmann::json(e.json) : payload}});
    }
    nlohmann::json body = {{"items", items}, {"count", items.size()}};
    if (!evs->empty() && evs->size() == q->limit) body["next"] = evs->back().id;
    return json_response(200, body);
  }, {.summary = "events of the twins of groups the caller may read, oldest first (?twin=, ?type=, ?from=, ?to=, "
                 "?after=<id cursor>, ?limit=; a page may hold fewer than ?limit and still have a next)",
      .kind = iam::ResourceKind::events, .verb = iam::Verb::read});
}

}  // namespace iotwins::api
