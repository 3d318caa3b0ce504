// GET /api/v1/audit: the audit log for admins, oldest first, in pages.
#include <nlohmann/json.hpp>

#include "api/auth.h"
#include "api/problem.h"
#include "api/query_params.h"
#include "api/series_params.h"

namespace iotwins::api {

void add_audit_routes(Router& router, Auth& auth) {
  router.add(Method::GET, "/api/v1/audit", [&auth](Request& req) {
    if (auto st = only_params(req, {"from", "to", "actor", "action", "cursor", "limit"}); !st) return problem(st.error());
    iam::AuditQuery q;
    int64_t now = auth.clock().now_ns();
    if (const std::string* from = req.query_param("from")) {
      auto t = series::parse_time(*from, now);
      if (!t) return problem(Error(Errc::invalid_argument, "from: " + t.error().message()));
      q.from_ns = *t;
    }
    if (const std::string* to = req.query_param("to")) {
      auto t = series::parse_time(*to, now);
      if (!t) return problem(Error(Errc::invalid_argument, "to: " + t.error().message()));
      q.to_ns = *t;
    }
    if (const std::string* actor = req.query_param("actor")) q.actor = *actor;
    if (const std::string* action = req.query_param("action")) q.action_prefix = *action;
    auto cursor = int_param(req, "cursor", 0, 0, INT64_MAX);
    auto limit = int_param(req, "limit", 100, 1, static_cast<int64_t>(iam::kMaxAuditPage));
    if (!cursor) return problem(cursor.error());
    if (!limit) return problem(limit.error());
    q.after_id = *cursor;
    q.limit = static_cast<size_t>(*limit);
    auto page = auth.audit_log().query(q);
    if (!page) return problem(page.error());
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : page->records) {
      items.push_back({{"id", r.id},
                       {"time", series::format_time(r.ts_ns)},
                       {"actor", r.entry.actor},
                       {"action", r.entry.action},
                       {"target", r.entry.target},
                       {"remote", r.entry.remote},
                       {"outcome", iam::to_string(r.entry.outcome)},
                       {"detail", r.entry.detail}});
    }
    nlohmann::json next = page->next_cursor == 0 ? nlohmann::json(nullptr) : nlohmann::json(page->next_cursor);
    return json_response(200, {{"items", items}, {"count", items.size()}, {"next_cursor", next}});
  }, {.summary = "the audit log, oldest first: who, what, target, when, from where, outcome (?from=, ?to= times; "
                 "?actor= exact; ?action= prefix; ?cursor=, ?limit=1..1000)",
      .kind = iam::ResourceKind::audit, .verb = iam::Verb::read});
}

}  // namespace iotwins::api
