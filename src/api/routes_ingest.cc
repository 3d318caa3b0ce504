// POST /api/v1/ingest: batch frames from child nodes (agents), applied exactly once.
#include <nlohmann/json.hpp>

#include "api/problem.h"
#include "api/routes.h"
#include "dataplane/buffer/receiver.h"

namespace iotwins::api {
namespace {

Response unavailable_response(const std::string& detail) {
  static const std::string retry_after = "1";
  Response r = problem(503, "unavailable", "Service Unavailable", detail);
  r.headers.insert_or_assign("Retry-After", retry_after);
  return r;
}

}  // namespace

void add_ingest_routes(Router& router, const Services& s) {
  if (s.ingest == nullptr) return;
  dataplane::Receiver& receiver = *s.ingest;
  router.add(Method::POST, "/api/v1/ingest", [&receiver](Request& req) {
    auto res = receiver.receive(req.body);
    if (!res && res.error().code() == Errc::resource_exhausted) {
      // The buffer is full under policy reject: the sender keeps the batch and retries.
      return unavailable_response(res.error().message());
    }
    if (!res) return problem(res.error());
    return json_response(200, {{"source", res->source},
                               {"stream", res->stream},
                               {"acked_seq", res->acked_seq},
                               {"applied", res->applied},
                               {"duplicates", res->duplicates}});
  }, {.max_body = 16u << 20,
      .summary = "apply a batch frame (agents): body = a zstd batch frame of one (source node, "
                 "stream, first seq) run; answers the highest seq now durable for (source, stream)",
      .kind = iam::ResourceKind::series, .verb = iam::Verb::write, .audit_answers = false});
}

}  // namespace iotwins::api
