// The server's end of the Resource Monitor: every accepted heartbeat's KPIs go into the
// time-series store as series twin="node:<id>", property=<kpi> (buffer KPIs with label
// stream=<name>), and threshold crossings (resource/kpi_monitor.h) into the event log as
// `threshold` / `threshold_cleared` events of twin "node:<id>". For Prometheus, the same values
// are gauges iotwins_node_kpi{node, kpi[, stream]} and iotwins_node_threshold_raised{…} (0/1);
// a forgotten node's gauges keep their last value until the server restarts.
#pragma once

#include "events/event_log.h"
#include "model/node.h"
#include "resource/kpi_monitor.h"
#include "tsdb/store.h"

namespace iotwins::server {

// "node:<id>": the twin name of a node's KPI series and threshold events.
std::string node_series_twin(const std::string& node_id);

class NodeKpiRecorder {
 public:
  NodeKpiRecorder(tsdb::TimeSeriesStore& store, events::EventLog& events, resource::KpiMonitor& monitor)
      : store_(store), events_(events), monitor_(monitor) {}
  // Writes the node's latest KPIs at its last_seen time and any threshold crossings. Errors are
  // returned (the caller logs them); a heartbeat is never refused because history failed.
  Status record(const model::Node& node);

 private:
  tsdb::TimeSeriesStore& store_;
  events::EventLog& events_;
  resource::KpiMonitor& monitor_;
};

}  // namespace iotwins::server
