// The agent's data plane: devices → (local Mosquitto + spool plugin, or an external broker) →
// ingest stage → durable buffer streams → forwarders → the parent's POST /api/v1/ingest
// (an edge agent or the server). Children (IoT agents) forward into this agent's own
// /api/v1/ingest, served on --listen, and their batches flow on through the same buffer.
//
//   <data-dir>/spool/    device messages, durable before PUBACK (written by the plugin)
//   <data-dir>/buffer/   the node's streams and the receiver's marks
//   <data-dir>/objects/  manifests of files taken in by PUT /api/v1/objects/{id}/chunks/{offset}
//   <data-dir>/twins.db  the edge twin cache (twins/edge_cache.h)
//   <data-dir>/agent.url where this agent's ingest endpoint listens (for children, tests)
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "core/config.h"
#include "core/result.h"
#include "model/node.h"

namespace iotwins::twins {
class EdgeTwinCache;
}
namespace iotwins::dataplane {
struct Event;
}

namespace iotwins::agent {

// Adds the agent's data-plane options to its config spec.
void add_data_plane_options(ConfigSpec& spec);

class DataPlane {
 public:
  // Starts the broker, ingest and the ingest endpoint; forwarding starts with set_node_id().
  static Result<std::unique_ptr<DataPlane>> start(const Config& config, const std::string& data_dir);
  ~DataPlane();

  // The node id this agent forwards under (its registered id); starts the forwarders once.
  Status set_node_id(const std::string& node_id);
  void stop();

  std::string ingest_url() const;
  std::string mqtt_url() const;
  // Buffer and ingest figures for the heartbeat.
  void fill_kpis(model::NodeKpis& kpis);
  // The twins of this agent's devices (served on --listen under /api/v1/twins, kept in sync with
  // the server by TwinSync).
  twins::EdgeTwinCache& twin_cache();
  // The twin models (a JSON array, as GET /api/v1/twin-models lists them): their topic mappings
  // are applied at ingest and spooled by the managed broker (restarted when the filters change).
  // Kept in <data-dir>/twin-models.json for restarts while the server is unreachable.
  Status set_twin_models(const std::string& models_json);
  // The MQTT credentials of the devices attached to this node (--broker-auth on; else ignored).
  Status set_device_credentials(const std::map<std::string, std::string>& sha256_by_twin);

  // Task streams (agent/streams.h). An event into the events stream, forwarded up like device
  // events (durable before this returns).
  Status emit_event(const dataplane::Event& event);
  // Every event of the events stream — this node's and its children's, as they are appended — to
  // `tap`, in order, at least once, from a consumer of its own (its offset persisted, so a
  // restart resumes where it stopped). Set once, before set_node_id().
  void tap_events(std::function<void(std::span<const dataplane::Event>)> tap);
  // The task log reader behind GET /api/v1/tasks/{id}/logs on --listen (unavailable until set).
  void set_task_log(std::function<Result<std::string>(const std::string&, const std::string&, size_t)> read);

 private:
  struct Impl;
  explicit DataPlane(std::unique_ptr<Impl> impl);
  static Status open_twin_cache(Impl& impl);
  static Status load_models(Impl& impl, const std::string& text);
  static Status append_event(Impl& impl, const dataplane::Event& event);
  std::unique_ptr<Impl> impl_;
};

}  // namespace iotwins::agent
