// GET /api/v1/twins/events: the twins' change feed as Server-Sent Events. Each event carries the
// twin's current document (or its deletion) and its feed sequence as the SSE id, so a client
// resumes with ?cursor= or Last-Event-ID and misses nothing: every twin changed since then comes
// once, at its latest state. ?node= limits it to the twins attached to one agent (what the edge
// agents use), ?filter= to twins matching a query.
#include <charconv>

#include "api/auth.h"
#include "api/group_scope.h"
#include "api/problem.h"
#include "api/routes.h"
#include "api/twin_http.h"
#include "twins/service.h"

namespace iotwins::api {
namespace {

constexpr auto kKeepalive = std::chrono::seconds(15);
constexpr size_t kBatch = 256;

Result<int64_t> cursor_of(const Request& req, const twins::TwinService& svc) {
  const std::string* v = req.query_param("cursor");
  if (!v) v = req.header("Last-Event-ID");
  if (!v || v->empty()) return int64_t{0};
  if (*v == "now") return svc.last_seq();
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < 0) {
    return make_error(Errc::invalid_argument, "cursor must be a feed sequence number (the SSE id) or 'now', not '" +
                                                  *v + "'");
  }
  return out;
}

std::string sse_event(const twins::FeedItem& item) {
  nlohmann::json data = {{"seq", item.seq}, {"id", item.id}, {"kind", item.deleted ? "deleted" : "changed"}};
  if (!item.node.empty()) data["node"] = item.node;
  if (!item.changed.empty()) data["changed"] = item.changed;
  if (item.doc) data["twin"] = twin_body(*item.doc, item.node);
  std::string out = "id: " + std::to_string(item.seq) + "\nevent: twin\ndata: ";
  out += data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += "\n\n";
  return out;
}

}  // namespace

void add_twin_feed_routes(Router& router, const Services& s) {
  twins::TwinService& svc = *s.twins;
  router.add(Method::GET, "/api/v1/twins/events", [&svc](Request& req) {
    for (const auto& [k, v] : req.query) {
      if (k != "cursor" && k != "node" && k != "filter" && k != "keepalive") {
        return problem(Error(Errc::invalid_argument,
                             "unknown query parameter '" + k + "' (accepted: cursor, node, filter, keepalive)"));
      }
    }
    auto keepalive = std::chrono::seconds(kKeepalive);
    if (const std::string* k = req.query_param("keepalive")) {
      int v = 0;
      auto [p, ec] = std::from_chars(k->data(), k->data() + k->size(), v);
      if (ec != std::errc() || p != k->data() + k->size() || v < 1 || v > 300) {
        return problem(Error(Errc::invalid_argument, "keepalive must be 1..300 seconds, not '" + *k + "'"));
      }
      keepalive = std::chrono::seconds(v);
    }
    auto cursor = cursor_of(req, svc);
    if (!cursor) return problem(cursor.error());
    std::optional<twin::Query> query;
    if (const std::string* f = req.query_param("filter")) {
      auto q = twin::Query::compile(*f);
      if (!q) return problem(q.error());
      query = std::move(*q);
    }
    std::string node = req.query_param("node") ? *req.query_param("node") : "";
    Response r;
    r.content_type = "text/event-stream";
    r.headers.emplace("Cache-Control", "no-store");
    // Group scoping: only twins of groups the caller may read (a deletion names no group: sent);
    // an agent following its own node gets every twin attached to it, whatever the twin's group.
    iam::GroupFilter visible = visible_groups(req, iam::ResourceKind::twins);
    if (!node.empty() && is_own_node(req, node)) visible.all = true;
    r.stream = [&svc, at = *cursor, node, query, keepalive, visible](const ChunkWriter& write) mutable -> Status {
      twins::FeedFilter filter{node, query ? &*query : nullptr};
      // A first comment tells the client the stream is open before any change arrives.
      if (!write(": iotwins twin feed from " + std::to_string(at) + "\n\n")) return ok();
      auto last_write = std::chrono::steady_clock::now();
      while (true) {
        auto page = svc.changes_after(at, kBatch, filter);
        if (!page.items.empty()) {
          std::string out;
          for (const auto& item : page.items) {
            if (!item.doc || visible.contains(item.doc->group)) out += sse_event(item);
          }
          if (!write(out)) return ok();
          last_write = std::chrono::steady_clock::now();
        }
        at = page.cursor;
        if (page.items.size() == kBatch) continue;
        if (!svc.wait_for_change(at, std::chrono::seconds(1))) return ok();  // shutting down
        if (std::chrono::steady_clock::now() - last_write >= keepalive) {
          if (!write(": keepalive\n\n")) return ok();
          last_write = std::chrono::steady_clock::now();
        }
      }
    };
    return r;
  }, {.summary = "the twins' change feed (Server-Sent Events; ?cursor=<seq>|now or Last-Event-ID, ?node=, ?filter=, ?keepalive=<s>)",
      .kind = iam::ResourceKind::twins, .verb = iam::Verb::read});
}

}  // namespace iotwins::api
