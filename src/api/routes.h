// The REST API: each routes_*.cc adds one resource's routes to the router, calling into the
// domain modules through the services below. This is the only place HTTP meets the domain.
#pragma once

#include <functional>
#include <string>

#include "api/router.h"
#include "core/clock.h"
#include "core/fs.h"

namespace iotwins::resource {
class NodeRegistry;
}
namespace iotwins::tsdb {
class TimeSeriesStore;
}
namespace iotwins::dataplane {
class Receiver;
class ObjectStore;
class ObjectIntake;
}
namespace iotwins::events {
class EventLog;
}
namespace iotwins::artifacts {
class ArtifactStore;
}
namespace iotwins::registry {
class ModelRegistry;
}
namespace iotwins::twins {
class TwinService;
class EdgeTwinCache;
}

namespace iotwins::orchestrator {
class Orchestrator;
}
namespace iotwins::iam {
class IamStore;
class CertificateAuthority;
}

namespace iotwins::api {

class NodeWatches;

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
  tsdb::TimeSeriesStore* series = nullptr;  // null: no /api/v1/series routes
  dataplane::Receiver* ingest = nullptr;    // null: no POST /api/v1/ingest
  events::EventLog* events = nullptr;       // null: no GET /api/v1/events
  dataplane::ObjectStore* objects = nullptr;        // null: no GET /api/v1/objects… (server)
  dataplane::ObjectIntake* object_intake = nullptr; // null: no PUT …/chunks/{offset} (agent)
  twins::TwinService* twins = nullptr;         // null: no twin routes (server)
  twins::EdgeTwinCache* edge_twins = nullptr;  // null: no cached-twin routes (agent)
  artifacts::ArtifactStore* artifacts = nullptr;  // null: no /api/v1/artifacts routes
  registry::ModelRegistry* models = nullptr;      // null (or no artifacts): no /api/v1/models routes
  orchestrator::Orchestrator* orchestrator = nullptr;  // null: no /api/v1/deployments routes
  NodeWatches* node_watches = nullptr;  // null: no /api/v1/nodes/{id}/watch (needs orchestrator)
  iam::IamStore* iam = nullptr;                // identities and credentials
  iam::CertificateAuthority* ca = nullptr;     // with iam: joining, node certificates, revocation
  // Agent: the tail of a task's log stream (stdout|stderr), for GET /api/v1/tasks/{id}/logs.
  std::function<Result<std::string>(const std::string& task, const std::string& stream, size_t max_bytes)> task_log;
  // Readiness: empty string when ready, else what is not ready yet.
  std::function<std::string()> readiness;
};

void add_system_routes(Router& router, const Services& services);
void add_node_routes(Router& router, const Services& services);
void add_template_routes(Router& router, const Services& services);
// Server: deployments (create, list, get, update, undeploy, events) and the node watch.
void add_deployment_routes(Router& router, const Services& services);
// Templates sent over HTTP may import built-in profiles only: this file system refuses every
// access, so an import cannot read the server's disk (the validate route and the orchestrator).
FileSystem& refused_template_files();
void add_series_routes(Router& router, const Services& services);
void add_ingest_routes(Router& router, const Services& services);
void add_event_routes(Router& router, const Services& services);
// Server: the file store (list, metadata, content). Agent: chunk intake and resume status.
void add_object_routes(Router& router, const Services& services);
void add_object_intake_routes(Router& router, const Services& services);

// Server: the artifact store (put, get, list) and the model registry (versions, promote,
// rollback, history, changes).
void add_artifact_routes(Router& router, const Services& services);
void add_model_routes(Router& router, const Services& services);

// Server: twin models, twins, their state, queries, tree, history and the change feed (SSE).
void add_twin_routes(Router& router, const Services& services);
void add_twin_model_routes(Router& router, const Services& services);  // part of add_twin_routes
void add_twin_feed_routes(Router& router, const Services& services);   // part of add_twin_routes
// Agent: the twins cached on this agent, readable and desired-settable while the cloud is away.
void add_edge_twin_routes(Router& router, const Services& services);
// POST /api/v1/scenarios/{name}/samples: simulation results into the series store.
void add_scenario_routes(Router& router, const Services& services);
// GET /api/v1/series/query's answer (also behind /api/v1/twins/{id}/history).
Response series_query_response(tsdb::TimeSeriesStore& store, const Clock& clock, const Request& request);

// Server (with iam and ca): join tokens, nodes joining, certificate rotation, node revocation,
// the CA certificate, and device MQTT credentials (routes_join.cc).
void add_join_routes(Router& router, const Services& services);

// Server: agents' task reports (POST /api/v1/nodes/{id}/tasks) and deployment logs, read from
// the agents. Agent (with task_log): GET /api/v1/tasks/{id}/logs (routes_node_tasks.cc).
void add_node_task_routes(Router& router, const Services& services);
void add_agent_task_routes(Router& router, const Services& services);

// Every route of the server's API.
void add_server_routes(Router& router, const Services& services);

}  // namespace iotwins::api
