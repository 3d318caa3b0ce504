#include "api/router.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "api/problem.h"
#include "core/log.h"

namespace iotwins::api {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

void Router::add(Method method, std::string pattern, Handler handler, RouteOptions options) {
  auto route = std::make_unique<Route>();
  route->method = method;
  route->pattern = std::move(pattern);
  route->options = std::move(options);
  route->handler = std::move(handler);
  insert(std::move(route));
}

void Router::websocket(std::string pattern, WebSocketHandler handler, RouteOptions options, Handler plain) {
  auto route = std::make_unique<Route>();
  route->method = Method::GET;
  route->pattern = std::move(pattern);
  route->options = std::move(options);
  route->websocket = std::move(handler);
  route->handler = std::move(plain);
  insert(std::move(route));
}

void Router::insert(std::unique_ptr<Route> route) {
  const RouteOptions& o = route->options;
  if (!o.public_route && (!o.kind || !o.verb)) {
    std::fprintf(stderr, "route %s %s declares no permission (RouteOptions kind+verb or public_route)\n",
                 std::string(to_string(route->method)).c_str(), route->pattern.c_str());
    std::abort();
  }
  Node* node = &root_;
  for (std::string_view seg : split_path(route->pattern)) {
    if (seg.size() > 5 && seg.front() == '{' && seg.ends_with("...}")) {
      if (!node->rest) node->rest = std::make_unique<Node>();
      node->rest_name = std::string(seg.substr(1, seg.size() - 5));
      node = node->rest.get();
      break;
    }
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
      if (!node->param) node->param = std::make_unique<Node>();
      node->param_name = std::string(seg.substr(1, seg.size() - 2));
      node = node->param.get();
    } else {
      auto& child = node->literal[std::string(seg)];
      if (!child) child = std::make_unique<Node>();
      node = child.get();
    }
  }
  node->routes.push_back(route.get());
  routes_.push_back(std::move(route));
}

Match Router::match(Method method, std::string_view path) const {
  Match m;
  auto segs = split_path(path);
  // Depth-first with literal preference; backtracks to a parameter branch when needed.
  std::function<const Node*(const Node*, size_t, std::map<std::string, std::string>&)> walk =
      [&](const Node* node, size_t i, std::map<std::string, std::string>& params) -> const Node* {
    if (i == segs.size()) return node->routes.empty() ? nullptr : node;
    if (auto it = node->literal.find(segs[i]); it != node->literal.end()) {
      if (const Node* found = walk(it->second.get(), i + 1, params)) return found;
    }
    if (node->param) {
      params[node->param_name] = std::string(segs[i]);
      if (const Node* found = walk(node->param.get(), i + 1, params)) return found;
      params.erase(node->param_name);
    }
    if (node->rest && !node->rest->routes.empty()) {
      std::string rest;
      for (size_t k = i; k < segs.size(); ++k) rest += (k > i ? "/" : "") + std::string(segs[k]);
      params[node->rest_name] = rest;
      return node->rest.get();
    }
    return nullptr;
  };
  const Node* node = walk(&root_, 0, m.params);
  if (node == nullptr) return m;
  for (const Route* r : node->routes) {
    m.allowed.push_back(r->method);
    if (r->method == method || (method == Method::HEAD && r->method == Method::GET && !m.route)) {
      if (!m.route || r->method == method) m.route = r;
    }
  }
  return m;
}

Response Router::dispatch(Request& request) const {
  static auto& log = log::get("api");
  Match m = match(request.method, request.path);
  if (m.route == nullptr) {
    if (m.allowed.empty()) {
      return problem(404, "not_found", "Not Found", "no route for " + request.path);
    }
    std::sort(m.allowed.begin(), m.allowed.end());
    std::string allow;
    for (Method a : m.allowed) allow += (allow.empty() ? "" : ", ") + std::string(to_string(a));
    Response r = problem(405, "method_not_allowed", "Method Not Allowed",
                         std::string(to_string(request.method)) + " is not allowed on " +
                             request.path + " (allowed: " + allow + ")");
    r.headers["Allow"] = allow;
    return r;
  }
  request.route = m.route->pattern;
  request.path_params = std::move(m.params);
  if (!m.route->handler) {
    return problem(400, "websocket_required", "Bad Request",
                   request.path + " is a WebSocket endpoint: send an Upgrade request");
  }
  if (auto denied = admit(request, *m.route)) return std::move(*denied);
  Response response;
  try {
    response = m.route->handler(request);
  } catch (const std::exception& e) {
    log.error("handler for {} {} threw: {}", to_string(request.method), request.route, e.what());
    response = problem(500, "internal", "Internal Server Error", "the server met an unexpected error");
  }
  if (guard_.after) guard_.after(request, *m.route, response);
  return response;
}

std::optional<Response> Router::admit(Request& request, const Route& route) const {
  if (!guard_.admit) return std::nullopt;
  return guard_.admit(request, route);
}

}  // namespace iotwins::api
