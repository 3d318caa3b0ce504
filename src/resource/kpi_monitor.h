// The Resource Monitor's logic: turns a heartbeat's KPIs into named points (the server stores
// them as series twin="node:<id>", property=<kpi>) and watches threshold rules with hysteresis,
// so a KPI that stays over its limit yields one `threshold` crossing, and one `threshold_cleared`
// once it is back at or below the rule's clear level — not one per heartbeat.
// No I/O: the caller writes the points and the crossings where they belong.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "model/node.h"

namespace iotwins::resource {

// One KPI value of a heartbeat. Node-wide KPIs have an empty stream; buffer KPIs are per stream.
struct KpiPoint {
  std::string kpi;
  std::string stream;
  double value = 0;
};

// Node-wide: cpu_percent, load1, memory_used_bytes, memory_total_bytes, memory_used_percent,
// disk_used_bytes, disk_total_bytes, disk_used_percent, net_rx_rate, net_tx_rate (bytes/s).
// Per buffer stream: buffer_backlog_records, buffer_bytes, buffer_saturation_percent (when the
// stream has a size limit), buffer_oldest_age_ms. Percentages of an empty total are left out.
std::vector<KpiPoint> kpi_points(const model::NodeKpis& kpis);
// Every KPI name kpi_points can produce (rules may only name these).
std::span<const std::string_view> kpi_names();

// Raised when a value goes above `limit`; cleared when it is back at or below `clear` (<= limit).
struct ThresholdRule {
  std::string kpi;
  double limit = 0;
  double clear = 0;
  bool operator==(const ThresholdRule&) const = default;
};

inline constexpr std::string_view kDefaultThresholdRules =
    "disk_used_percent>90/85,memory_used_percent>95/90,buffer_saturation_percent>80/70";

// "KPI>LIMIT[/CLEAR],…" (CLEAR defaults to 90 % of LIMIT); "none" or "" → no rules. Errors name
// the rule, and the known KPIs for an unknown one.
Result<std::vector<ThresholdRule>> parse_threshold_rules(std::string_view text);

struct ThresholdCrossing {
  std::string node;
  std::string kpi;
  std::string stream;  // "" for node-wide KPIs
  double value = 0;
  double limit = 0;
  double clear = 0;
  bool raised = false;  // true: went above limit; false: back at or below clear
  int64_t at_ns = 0;    // from the monitor's clock
};

// Thread-safe. Which (node, kpi, stream) are over their limit is kept in memory: after a server
// restart a KPI still over its limit is reported once more.
class KpiMonitor {
 public:
  KpiMonitor(std::vector<ThresholdRule> rules, const Clock& clock) : rules_(std::move(rules)), clock_(clock) {}

  // The crossings this heartbeat's points cause (usually none). NaN values are ignored.
  std::vector<ThresholdCrossing> observe(const std::string& node, std::span<const KpiPoint> points);
  // (node, kpi, stream) currently over their limit.
  size_t raised_count() const;
  const std::vector<ThresholdRule>& rules() const { return rules_; }

 private:
  std::vector<ThresholdRule> rules_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::set<std::tuple<std::string, std::string, std::string>> raised_;
};

}  // namespace iotwins::resource
