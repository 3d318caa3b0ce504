// Router: maps (method, path pattern) to handlers. Patterns are literal segments and {param}
// segments ("/api/v1/nodes/{id}/heartbeat"); a trailing {name...} takes the rest of the path.
// Unknown path → 404, known path with another method → 405 with Allow. Literal segments win
// over parameters, so "/nodes/plan" and "/nodes/{id}" can live side by side.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/http.h"
#include "iam/authorizer.h"

namespace iotwins::api {

class WebSocketConnection;

using Handler = std::function<Response(Request&)>;
// Called after the WebSocket handshake; the connection lives while someone holds it.
using WebSocketHandler = std::function<void(const Request&, std::shared_ptr<WebSocketConnection>)>;

// Every route says who may call it: the permission (kind, verb) the guard checks, or
// public_route for the few that need no credentials (health, token issuing, JWKS, joining).
// Router::add refuses a route that declares neither, so no route can be left open by mistake.
struct RouteOptions {
  size_t max_body = 0;  // 0: the server's default limit
  std::string summary;  // one line, for the OpenAPI document and route listings
  std::optional<iam::ResourceKind> kind;
  std::optional<iam::Verb> verb;
  bool public_route = false;
  // The guard audits a change's answer unless this is false: the handler audits it itself, with
  // more detail (IAM), or it is a high-rate data-plane write (ingest batches, heartbeats, object
  // chunks). Refusals by the guard (401, 403) are always audited.
  bool audit_answers = true;
};

struct Route {
  Method method;
  std::string pattern;
  RouteOptions options;
  Handler handler;             // set for plain routes
  WebSocketHandler websocket;  // set for WebSocket routes (method GET)
};

struct Match {
  const Route* route = nullptr;           // null: no route for this method
  std::vector<Method> allowed;            // methods the path has (for 405)
  std::map<std::string, std::string> params;
};

// Security in front of the handlers (api/auth.h installs it on the server's router).
struct Guard {
  // Before the handler (and before a WebSocket upgrade): an answer that replaces it (401, 403)
  // or nullopt to let it run; may set request.principal.
  std::function<std::optional<Response>(Request&, const Route&)> admit;
  // After the handler, with its answer (the audit of changes).
  std::function<void(const Request&, const Route&, const Response&)> after;
};

class Router {
 public:
  // Aborts with a message naming the route when `options` declares neither a permission nor
  // public_route: a programming error that must not reach a running server.
  void add(Method method, std::string pattern, Handler handler, RouteOptions options = {});
  // `plain` (optional) answers a GET on the same path that asks for no upgrade.
  void websocket(std::string pattern, WebSocketHandler handler, RouteOptions options = {}, Handler plain = nullptr);

  // Finds the route for a decoded path; route == nullptr and allowed empty means 404.
  Match match(Method method, std::string_view path) const;

  // Runs the matched handler (or answers 404/405) and fills request.route/path_params.
  // Exceptions thrown by a handler become a 500 problem (a bug, logged), never a crash.
  Response dispatch(Request& request) const;

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

  // Set once, before the server starts.
  void set_guard(Guard guard) { guard_ = std::move(guard); }
  // The guard's admission for a matched route (the server calls it for WebSocket upgrades).
  std::optional<Response> admit(Request& request, const Route& route) const;

 private:
  struct Node {
    std::map<std::string, std::unique_ptr<Node>, std::less<>> literal;
    std::unique_ptr<Node> param;
    std::string param_name;
    std::unique_ptr<Node> rest;  // {name...}
    std::string rest_name;
    std::vector<const Route*> routes;
  };
  void insert(std::unique_ptr<Route> route);

  Node root_;
  std::vector<std::unique_ptr<Route>> routes_;
  Guard guard_;
};

}  // namespace iotwins::api
