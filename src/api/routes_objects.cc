// /api/v1/objects: bulk files moved up the continuum (docs/dataplane.md, "Objects").
// On the server: the file store — list, metadata, content. On an agent's ingest endpoint:
// chunk intake (`PUT …/chunks/{offset}`, durable in the objects stream before the answer) and
// the resume status (`GET /api/v1/objects/{id}`: the byte ranges the agent already holds).
#include <nlohmann/json.hpp>

#include <charconv>

#include "api/group_scope.h"
#include "api/problem.h"
#include "api/routes.h"
#include "api/series_params.h"
#include "core/fs.h"
#include "dataplane/objects/intake.h"
#include "dataplane/objects/store.h"

namespace iotwins::api {
namespace {

// Whole bodies above this are refused without a Range header (the CLI always uses ranges).
constexpr uint64_t kMaxWholeBody = 256ull << 20;
constexpr uint64_t kMaxChunkBody = 4u << 20;

nlohmann::json object_json(const dataplane::ObjectManifest& m) {
  nlohmann::json ranges = nlohmann::json::array();
  for (const auto& [b, e] : m.received.ranges()) ranges.push_back({b, e});
  nlohmann::json j = {{"id", m.id},
                      {"name", m.name},
                      {"size", m.size},
                      {"sha256", m.sha256},
                      {"state", dataplane::object_state_name(m.state)},
                      {"received_bytes", m.received.bytes()},
                      {"received", ranges},
                      {"source", m.source},
                      {"created", series::format_time(m.created_ns)},
                      {"updated", series::format_time(m.updated_ns)}};
  if (m.completed_ns) j["completed"] = series::format_time(m.completed_ns);
  if (m.state == dataplane::ObjectState::failed) j["reason"] = m.reason;
  return j;
}

Result<uint64_t> parse_u64(std::string_view text, const std::string& what) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) {
    return make_error(Errc::invalid_argument, what + " must be a non-negative integer, got '" +
                                                  std::string(text.substr(0, 40)) + "'");
  }
  return v;
}

Result<std::string> required_header(const Request& req, const char* name) {
  const std::string* v = req.header(name);
  if (!v) return make_error(Errc::invalid_argument, std::string("header ") + name + " is required");
  return *v;
}

Result<dataplane::ObjectChunk> parse_chunk(Request& req) {
  dataplane::ObjectChunk c;
  c.object = req.param("id");
  IOT_TRY(dataplane::validate_object_id(c.object));
  IOT_ASSIGN(c.offset, parse_u64(req.param("offset"), "the chunk offset"));
  IOT_ASSIGN(auto size, required_header(req, "X-Object-Size"));
  IOT_ASSIGN(c.size, parse_u64(size, "header X-Object-Size"));
  IOT_ASSIGN(c.sha256, required_header(req, "X-Object-Sha256"));
  c.name = c.object;
  if (const std::string* n = req.header("X-Object-Name")) {
    bool good = true;
    c.name = percent_decode(*n, false, &good);
    if (!good) return make_error(Errc::invalid_argument, "header X-Object-Name: bad percent-encoding");
  }
  c.data = std::move(req.body);
  IOT_TRY(dataplane::validate_chunk(c));
  return c;
}

// "bytes=a-b" or "bytes=a-" within size; one range only.
Result<std::pair<uint64_t, uint64_t>> parse_range(std::string_view h, uint64_t size) {
  auto bad = [&] {
    return make_error(Errc::invalid_argument, "Range '" + std::string(h.substr(0, 60)) +
                                                  "': expected bytes=FIRST-[LAST] within the object's " +
                                                  std::to_string(size) + " bytes");
  };
  if (!h.starts_with("bytes=")) return bad();
  h.remove_prefix(6);
  auto dash = h.find('-');
  if (dash == std::string_view::npos) return bad();
  auto first = parse_u64(h.substr(0, dash), "range start");
  if (!first) return bad();
  uint64_t last = size == 0 ? 0 : size - 1;
  if (dash + 1 < h.size()) {
    auto l = parse_u64(h.substr(dash + 1), "range end");
    if (!l) return bad();
    last = std::min(*l, last);
  }
  if (*first >= size || last < *first) return bad();
  return std::pair{*first, last + 1};
}

Response content(const dataplane::ObjectStore& store, Request& req) {
  auto path = store.content_path(req.param("id"));
  if (!path) return problem(path.error());
  auto m = store.get(req.param("id"));
  if (!m) return problem(m.error());
  uint64_t begin = 0, end = m->size;
  bool ranged = false;
  if (const std::string* r = req.header("Range")) {
    auto range = parse_range(*r, m->size);
    if (!range) return problem(416, "range_not_satisfiable", "Range Not Satisfiable", range.error().message());
    std::tie(begin, end) = *range;
    ranged = true;
  }
  if (end - begin > kMaxWholeBody) {
    return problem(413, "too_large", "Payload Too Large",
                   "object " + m->id + " is " + std::to_string(m->size) +
                       " bytes: fetch it in Range requests of at most 256 MiB (iotwins objects get does)");
  }
  auto f = PosixFileSystem::instance().open(*path, OpenMode::read);
  if (!f) return problem(f.error());
  auto bytes = (*f)->read_at(begin, static_cast<size_t>(end - begin));
  if (!bytes) return problem(bytes.error());
  if (bytes->size() != end - begin) {
    return problem(Error(Errc::corruption, "object " + m->id + ": stored file is shorter than its size"));
  }
  Response res;
  res.status = ranged ? 206 : 200;
  res.content_type = "application/octet-stream";
  res.body = std::move(*bytes);
  res.headers.insert_or_assign("X-Object-Sha256", m->sha256);
  res.headers.insert_or_assign("Accept-Ranges", "bytes");
  if (ranged) {
    res.headers.insert_or_assign("Content-Range", "bytes " + std::to_string(begin) + "-" +
                                                      std::to_string(end - 1) + "/" + std::to_string(m->size));
  }
  return res;
}

// Group scoping: an object is its source node's (api/group_scope.h); agents read all.
bool readable_object(const Request& req, const GroupOfTwin& group_of, const dataplane::ObjectManifest& m) {
  return is_node_agent(req) || allowed(req, iam::Verb::read, iam::ResourceKind::objects, group_of("node:" + m.source));
}

ObjectOf object_of(dataplane::ObjectStore& store, GroupOfTwin group_of) {
  return [&store, group_of](const Request& req) -> std::optional<ScopedObject> {
    if (is_node_agent(req)) return std::nullopt;
    auto m = store.get(req.param("id"));
    if (!m) return std::nullopt;
    return ScopedObject{group_of("node:" + m->source), "object '" + m->id + "'"};
  };
}

}  // namespace

void add_object_routes(Router& router, const Services& s) {
  if (s.objects == nullptr) return;
  dataplane::ObjectStore& store = *s.objects;
  GroupOfTwin group_of = twin_groups(s.twins, s.nodes);
  router.add(Method::GET, "/api/v1/objects", [&store, group_of](Request& req) {
    for (const auto& [k, v] : req.query) {
      if (k != "after" && k != "limit") {
        return problem(Error(Errc::invalid_argument,
                                  "unknown query parameter '" + k + "' (accepted: after, limit)"));
      }
    }
    uint64_t limit = 100;
    if (const std::string* l = req.query_param("limit")) {
      auto v = parse_u64(*l, "query parameter 'limit'");
      if (!v || *v < 1 || *v > 1000) {
        return problem(Error(Errc::invalid_argument, "query parameter 'limit' must be an integer from 1 to 1000"));
      }
      limit = *v;
    }
    std::string after;
    if (const std::string* a = req.query_param("after")) after = *a;
    auto objects = store.list(after, static_cast<size_t>(limit));
    nlohmann::json items = nlohmann::json::array();
    for (const auto& m : objects) {
      if (!readable_object(req, group_of, m)) continue;
      auto j = object_json(m);
      j.erase("received");
      items.push_back(std::move(j));
    }
    nlohmann::json body = {{"items", items}, {"count", items.size()}};
    if (objects.size() == limit) body["next"] = objects.back().id;
    return json_response(200, body);
  }, {.summary = "objects (files moved up from agents) of the groups the caller may read (an object is its "
                 "source node's), ordered by id: name, size, sha256, state (receiving | complete | failed), "
                 "source node, times (?after=<id cursor>, ?limit=; a page may hold fewer than ?limit)",
      .kind = iam::ResourceKind::objects, .verb = iam::Verb::read});
  router.add(Method::GET, "/api/v1/objects/{id}", group_gated(object_of(store, group_of), iam::ResourceKind::objects,
                                                              iam::Verb::read, [&store](Request& req) {
    auto m = store.get(req.param("id"));
    if (!m) return problem(m.error());
    return json_response(200, object_json(*m));
  }), {.summary = "one object's metadata, with the byte ranges received so far",
      .kind = iam::ResourceKind::objects, .verb = iam::Verb::read});
  router.add(Method::GET, "/api/v1/objects/{id}/content", group_gated(object_of(store, group_of),
                                                                      iam::ResourceKind::objects, iam::Verb::read,
                                                                      [&store](Request& req) {
    return content(store, req);
  }), {.summary = "a complete object's bytes (X-Object-Sha256; Range: bytes=a-b); 409 while it "
                 "is still arriving or failed", .kind = iam::ResourceKind::objects, .verb = iam::Verb::read});
}

void add_object_intake_routes(Router& router, const Services& s) {
  if (s.object_intake == nullptr) return;
  dataplane::ObjectIntake& intake = *s.object_intake;
  router.add(Method::PUT, "/api/v1/objects/{id}/chunks/{offset}", [&intake](Request& req) {
    auto chunk = parse_chunk(req);
    if (!chunk) return problem(chunk.error());
    auto m = intake.put(*chunk);
    if (!m && m.error().code() == Errc::resource_exhausted) {
      Response r = problem(503, "unavailable", "Service Unavailable", m.error().message());
      r.headers.insert_or_assign("Retry-After", "1");
      return r;
    }
    if (!m) return problem(m.error());
    return json_response(200, object_json(*m));
  }, {.max_body = kMaxChunkBody,
      .summary = "take in bytes of a file at {offset} (body: raw bytes; headers X-Object-Size, "
                 "X-Object-Sha256 of the whole file, X-Object-Name percent-encoded); durable in the "
                 "objects stream before the answer", .kind = iam::ResourceKind::objects, .verb = iam::Verb::write,
                 .audit_answers = false});
  router.add(Method::GET, "/api/v1/objects/{id}", [&intake](Request& req) {
    auto m = intake.status(req.param("id"));
    if (!m) return problem(m.error());
    return json_response(200, object_json(*m));
  }, {.summary = "the byte ranges of an object this agent has taken in (to resume an upload)",
      .kind = iam::ResourceKind::objects, .verb = iam::Verb::read});
}

}  // namespace iotwins::api
