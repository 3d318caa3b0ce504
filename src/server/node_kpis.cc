#include "server/node_kpis.h"

#include <nlohmann/json.hpp>

#include "core/metrics.h"

namespace iotwins::server {

std::string node_series_twin(const std::string& node_id) { return "node:" + node_id; }

Status NodeKpiRecorder::record(const model::Node& node) {
  if (!node.kpis) return {};
  const std::string twin = node_series_twin(node.id);
  auto points = resource::kpi_points(*node.kpis);

  std::vector<tsdb::Sample> samples;
  samples.reserve(points.size());
  std::vector<tsdb::SeriesWrite> batch;
  batch.reserve(points.size());
  for (const auto& p : points) samples.push_back({node.last_seen_ns, p.value});
  for (size_t i = 0; i < points.size(); ++i) {
    tsdb::SeriesKey key{twin, points[i].kpi, {}};
    if (!points[i].stream.empty()) key.labels = {{"stream", points[i].stream}};
    batch.push_back({std::move(key), std::span<const tsdb::Sample>(&samples[i], 1)});
  }
  Status written = store_.write(batch);
  auto& reg = metrics::Registry::global();
  for (const auto& p : points) {
    metrics::Labels labels{{"node", node.id}, {"kpi", p.kpi}};
    if (!p.stream.empty()) labels["stream"] = p.stream;
    reg.gauge("iotwins_node_kpi", "latest KPI of each node, as its last heartbeat reported it", labels).set(p.value);
  }

  auto crossings = monitor_.observe(node.id, points);
  if (crossings.empty()) return written;
  std::vector<events::Event> evs;
  for (size_t i = 0; i < crossings.size(); ++i) {
    const auto& c = crossings[i];
    nlohmann::json data = {{"node", c.node}, {"kpi", c.kpi},     {"value", c.value},
                           {"limit", c.limit}, {"clear", c.clear}};
    if (!c.stream.empty()) data["stream"] = c.stream;
    metrics::Labels labels{{"node", c.node}, {"kpi", c.kpi}};
    if (!c.stream.empty()) labels["stream"] = c.stream;
    reg.gauge("iotwins_node_threshold_raised", "1 while a node KPI is over its --kpi-thresholds limit", labels)
        .set(c.raised ? 1 : 0);
    events::Event e;
    e.twin = twin;
    e.type = c.raised ? "threshold" : "threshold_cleared";
    // Events are unique by (twin, type, ts): crossings of one heartbeat get consecutive ns.
    e.ts_ns = c.at_ns + static_cast<int64_t>(i);
    e.json = data.dump();
    evs.push_back(std::move(e));
  }
  auto appended = events_.append(evs, crossings.front().at_ns);
  if (!appended) return std::unexpected(Error(appended.error()).context("threshold events of node " + node.id));
  return written;
}

}  // namespace iotwins::server
