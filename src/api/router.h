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

namespace iotwins::api {

class WebSocketConnection;

using Handler = std::function<Response(Request&)>;
// Called after the WebSocket handshake; the connection lives while someone holds it.
using WebSocketHandler = std::function<void(const Request&, std::shared_ptr<WebSocketConnection>)>;

struct RouteOptions {
  size_t max_body = 0;  // 0: the server's default limit
  std::string summary;  // one line, for the OpenAPI document and route listings
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

class Router {
 public:
  void add(Method method, std::string pattern, Handler handler, RouteOptions options = {});
  // `plain` (optional) answers a GET on the same path that asks for no upgrade.
  void websocket(std::string pattern, WebSocketHandler handler, RouteOptions options = {}, Handler plain = nullptr);

  // Finds the route for a decoded path; route == nullptr and allowed empty means 404.
  Match match(Method method, std::string_view path) const;

  // Runs the matched handler (or answers 404/405) and fills request.route/path_params.
  // Exceptions thrown by a handler become a 500 problem (a bug, logged), never a crash.
  Response dispatch(Request& request) const;

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

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
};

}  // namespace iotwins::api
