// HTTP types the rest of api/ works with. No Boost.Beast here: the server and client
// translate, so route handlers compile fast and never see the transport.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "iam/model.h"

namespace iotwins::api {

enum class Method { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, OTHER };
std::string_view to_string(Method m);
Method parse_method(std::string_view text);

struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};
using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

struct Request {
  Method method = Method::GET;
  std::string target;  // as received: path and query
  std::string path;    // percent-decoded path without the query
  std::map<std::string, std::string> query;        // decoded; the last of repeated keys
  std::map<std::string, std::string> path_params;  // from the route pattern: {id}
  Headers headers;
  std::string body;
  std::string remote;  // peer address "ip:port"
  std::string route;   // the pattern that matched, e.g. "/api/v1/nodes/{id}" (for metrics)
  // Who is calling, set by the router's guard (api/auth.h) once the credentials are verified;
  // empty on public routes and when the router has no guard (the agent's local API).
  std::optional<iam::Principal> principal;
  // The subject a verified TLS client certificate names ("node:n-abc"), set by the server;
  // empty without a client certificate. Never taken from a header.
  std::string peer_subject;

  const std::string* header(std::string_view name) const;
  const std::string* query_param(std::string_view name) const;
  const std::string& param(std::string_view name) const;  // a path parameter ("" if absent)
};

// Hands one piece of a streamed body to the connection and blocks until it is written
// (backpressure: a slow client slows the producer, memory stays bounded). Returns false once
// the client has gone, the write timed out or the server is cutting streams at shutdown: the
// producer must stop then. Empty pieces are ignored.
using ChunkWriter = std::function<bool(std::string_view piece)>;
// Produces a body incrementally. Runs on the worker thread that ran the handler, after the
// status line and headers are sent; each piece goes out as one chunk (HTTP/1.1 chunked
// transfer encoding; HTTP/1.0 gets the raw bytes and a close). An error returned after output
// started cuts the connection without the final chunk, so the client sees an incomplete
// response, never a silently short one. Meant for large results and event streams (SSE).
using BodyStream = std::function<Status(const ChunkWriter& write)>;

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  Headers headers;
  std::string body;
  BodyStream stream;  // set: the body is produced by it (and `body` is ignored)
};

// Splits "/a/b?x=1&y=%20" into the decoded path and query map. Errors on bad escapes.
Result<std::pair<std::string, std::map<std::string, std::string>>> parse_target(std::string_view target);
std::string percent_decode(std::string_view s, bool plus_is_space, bool* ok);
std::string percent_encode(std::string_view s);

// The HTTP status for an error code (invalid_argument → 400, not_found → 404 …).
int http_status(Errc code);
Errc errc_from_status(int status);
std::string_view reason_phrase(int status);

}  // namespace iotwins::api
