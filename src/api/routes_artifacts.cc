// /api/v1/artifacts: the server's content-addressed store of task executables and model files
// (artifacts/store.h). PUT takes raw bytes and answers their sha256; GET serves them by that
// name, streamed in pieces. Every name from a URL passes validate_sha256 before it reaches a
// path, so no request can name a file outside the store.
#include <nlohmann/json.hpp>

#include "api/problem.h"
#include "api/query_params.h"
#include "api/routes.h"
#include "artifacts/store.h"
#include "dataplane/objects/chunk.h"

namespace iotwins::api {
namespace {

constexpr size_t kPiece = 256 * 1024;  // bytes per streamed chunk of a GET

nlohmann::json info_json(const artifacts::ArtifactInfo& a) { return {{"sha256", a.sha256}, {"size", a.size}}; }

Response list(artifacts::ArtifactStore& store, Request& req) {
  if (auto st = only_params(req, {"after", "limit"}); !st) return problem(st.error());
  auto limit = int_param(req, "limit", 100, 1, 1000);
  if (!limit) return problem(limit.error());
  std::string after;
  if (const std::string* a = req.query_param("after")) {
    if (auto st = artifacts::validate_sha256(*a); !st) return problem(Error(st.error()).context("query parameter 'after'"));
    after = *a;
  }
  auto page = store.list(after, static_cast<size_t>(*limit));
  if (!page) return problem(page.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& a : page->items) items.push_back(info_json(a));
  nlohmann::json body = {{"items", items}, {"count", items.size()}};
  if (!page->next_after.empty()) body["next"] = page->next_after;
  return json_response(200, body);
}

// The whole body is hashed first, so an X-Artifact-Sha256 that does not match is refused before
// anything is written, and 201 (new) and 200 (already stored) can be told apart.
Response put(artifacts::ArtifactStore& store, Request& req) {
  const std::string sha = dataplane::sha256_hex(req.body);
  if (const std::string* expected = req.header("X-Artifact-Sha256")) {
    if (auto st = artifacts::validate_sha256(*expected); !st) {
      return problem(Error(st.error()).context("header X-Artifact-Sha256"));
    }
    if (*expected != sha) {
      return problem(400, "digest_mismatch", "Bad Request",
                     "the body's sha256 is " + sha + ", not " + *expected +
                         " (header X-Artifact-Sha256): nothing stored");
    }
  }
  bool existed = store.stat(sha).has_value();
  auto info = store.put(req.body);
  if (!info) return problem(info.error());
  Response r = json_response(existed ? 200 : 201, info_json(*info));
  r.headers.insert_or_assign("Location", "/api/v1/artifacts/" + info->sha256);
  return r;
}

Response content(artifacts::ArtifactStore& store, Request& req) {
  const std::string& sha = req.param("sha256");
  auto info = store.stat(sha);  // invalid_argument (400) for a bad name, not_found (404)
  if (!info) return problem(info.error());
  auto file = store.open_artifact(sha);
  if (!file) return problem(file.error());
  Response r;
  r.content_type = "application/octet-stream";
  r.headers.insert_or_assign("X-Artifact-Sha256", sha);
  r.headers.insert_or_assign("X-Artifact-Size", std::to_string(info->size));
  r.headers.insert_or_assign("ETag", "\"" + sha + "\"");
  std::shared_ptr<File> f = std::move(*file);
  uint64_t size = info->size;
  r.stream = [f, size, sha](const ChunkWriter& write) -> Status {
    for (uint64_t off = 0; off < size;) {
      IOT_ASSIGN(std::string piece, f->read_at(off, static_cast<size_t>(std::min<uint64_t>(kPiece, size - off))));
      if (piece.empty()) return make_error(Errc::corruption, "artifact " + sha + " is shorter than its size");
      off += piece.size();
      if (!write(piece)) return {};  // the client went away
    }
    return {};
  };
  return r;
}

}  // namespace

void add_artifact_routes(Router& router, const Services& s) {
  if (s.artifacts == nullptr) return;
  artifacts::ArtifactStore& store = *s.artifacts;
  router.add(Method::GET, "/api/v1/artifacts", [&store](Request& req) { return list(store, req); },
             {.summary = "stored artifacts {sha256, size}, ascending sha256 (?after=<sha256 cursor>, ?limit=1..1000; "
                         "'next' is the cursor of the following page)",
              .kind = iam::ResourceKind::artifacts, .verb = iam::Verb::read});
  router.add(Method::PUT, "/api/v1/artifacts", [&store](Request& req) { return put(store, req); },
             {.max_body = static_cast<size_t>(std::min<uint64_t>(store.options().max_bytes, SIZE_MAX)),
              .summary = "store the raw body (task executable, model file) → {sha256, size}; 201 new, 200 already "
                         "stored; optional header X-Artifact-Sha256 = the expected digest (400 digest_mismatch "
                         "otherwise); 413 over the server's --max-artifact",
              .kind = iam::ResourceKind::artifacts, .verb = iam::Verb::write});
  router.add(Method::GET, "/api/v1/artifacts/{sha256}", [&store](Request& req) { return content(store, req); },
             {.summary = "an artifact's bytes, streamed (headers X-Artifact-Sha256, X-Artifact-Size); 400 for a name "
                         "that is not 64 lowercase hex digits",
              .kind = iam::ResourceKind::artifacts, .verb = iam::Verb::read});
  router.add(Method::GET, "/api/v1/artifacts/{sha256}/meta", [&store](Request& req) {
    auto info = store.stat(req.param("sha256"));
    if (!info) return problem(info.error());
    return json_response(200, info_json(*info));
  }, {.summary = "whether an artifact is stored, and its size: {sha256, size} or 404",
      .kind = iam::ResourceKind::artifacts, .verb = iam::Verb::read});
}

}  // namespace iotwins::api
