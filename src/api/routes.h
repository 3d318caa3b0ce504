// The REST API: each routes_*.cc adds one resource's routes to the router, calling into the
// domain modules through the services below. This is the only place HTTP meets the domain.
#pragma once

#include <functional>
#include <string>

#include "api/router.h"
#include "core/clock.h"

namespace iotwins::resource {
class NodeRegistry;
}

namespace iotwins::api {

struct BuildInfo {
  std::string version;
  std::string git_commit;
  std::string build_type;
  std::string compiler;
};
BuildInfo build_info();

struct Services {
  const Clock* clock = nullptr;
  resource::NodeRegistry* nodes = nullptr;
  // Readiness: empty string when ready, else what is not ready yet.
  std::function<std::string()> readiness;
};

void add_system_routes(Router& router, const Services& services);
void add_node_routes(Router& router, const Services& services);
void add_template_routes(Router& router, const Services& services);

// Every route of the server's API.
void add_server_routes(Router& router, const Services& services);

}  // namespace iotwins::api
