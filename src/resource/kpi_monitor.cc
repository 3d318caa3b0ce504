#include "resource/kpi_monitor.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace iotwins::resource {
namespace {

constexpr std::array<std::string_view, 14> kNames = {
    "cpu_percent",       "load1",          "memory_used_bytes",      "memory_total_bytes",
    "memory_used_percent", "disk_used_bytes", "disk_total_bytes",     "disk_used_percent",
    "net_rx_rate",       "net_tx_rate",    "buffer_backlog_records", "buffer_bytes",
    "buffer_saturation_percent", "buffer_oldest_age_ms"};

Result<double> parse_number(std::string_view text, std::string_view rule, const char* what) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v)) {
    return make_error(Errc::invalid_argument, "threshold rule '" + std::string(rule) + "': " + what +
                                                  " must be a number, got '" + std::string(text) + "'");
  }
  return v;
}

Result<ThresholdRule> parse_rule(std::string_view rule) {
  auto gt = rule.find('>');
  if (gt == std::string_view::npos) {
    return make_error(Errc::invalid_argument, "threshold rule '" + std::string(rule) +
                                                  "': expected KPI>LIMIT[/CLEAR], e.g. disk_used_percent>90/85");
  }
  ThresholdRule r;
  r.kpi = std::string(rule.substr(0, gt));
  if (std::find(kNames.begin(), kNames.end(), r.kpi) == kNames.end()) {
    std::string known;
    for (auto n : kNames) known += (known.empty() ? "" : ", ") + std::string(n);
    return make_error(Errc::invalid_argument, "threshold rule '" + std::string(rule) + "': unknown KPI '" + r.kpi +
                                                  "' (known: " + known + ")");
  }
  std::string_view rest = rule.substr(gt + 1);
  auto slash = rest.find('/');
  IOT_ASSIGN(r.limit, parse_number(rest.substr(0, slash), rule, "LIMIT"));
  r.clear = r.limit >= 0 ? r.limit * 0.9 : r.limit * 1.1;
  if (slash != std::string_view::npos) {
    IOT_ASSIGN(r.clear, parse_number(rest.substr(slash + 1), rule, "CLEAR"));
    if (r.clear > r.limit) {
      return make_error(Errc::invalid_argument, "threshold rule '" + std::string(rule) +
                                                    "': CLEAR must not be above LIMIT (it is the level a raised "
                                                    "KPI must come back to)");
    }
  }
  return r;
}

void add_percent(std::vector<KpiPoint>& out, std::string kpi, std::string stream, double part, double whole) {
  if (whole > 0) out.push_back({std::move(kpi), std::move(stream), 100.0 * part / whole});
}

}  // namespace

std::span<const std::string_view> kpi_names() { return kNames; }

std::vector<KpiPoint> kpi_points(const model::NodeKpis& k) {
  std::vector<KpiPoint> out;
  const double mem_total = double(k.memory_used_bytes) + double(k.memory_available_bytes);
  const double disk_total = double(k.disk_used_bytes) + double(k.disk_free_bytes);
  out.push_back({"cpu_percent", "", k.cpu_percent});
  out.push_back({"load1", "", k.load1});
  out.push_back({"memory_used_bytes", "", double(k.memory_used_bytes)});
  out.push_back({"memory_total_bytes", "", mem_total});
  add_percent(out, "memory_used_percent", "", double(k.memory_used_bytes), mem_total);
  out.push_back({"disk_used_bytes", "", double(k.disk_used_bytes)});
  out.push_back({"disk_total_bytes", "", disk_total});
  add_percent(out, "disk_used_percent", "", double(k.disk_used_bytes), disk_total);
  out.push_back({"net_rx_rate", "", k.net_rx_rate});
  out.push_back({"net_tx_rate", "", k.net_tx_rate});
  for (const auto& b : k.buffers) {
    out.push_back({"buffer_backlog_records", b.stream, double(b.backlog_records)});
    out.push_back({"buffer_bytes", b.stream, double(b.bytes)});
    add_percent(out, "buffer_saturation_percent", b.stream, double(b.bytes), double(b.max_bytes));
    out.push_back({"buffer_oldest_age_ms", b.stream, double(b.oldest_age_ms)});
  }
  return out;
}

Result<std::vector<ThresholdRule>> parse_threshold_rules(std::string_view text) {
  std::vector<ThresholdRule> rules;
  if (text.empty() || text == "none") return rules;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view rule = text.substr(0, comma);
    while (!rule.empty() && rule.front() == ' ') rule.remove_prefix(1);
    while (!rule.empty() && rule.back() == ' ') rule.remove_suffix(1);
    IOT_ASSIGN(ThresholdRule r, parse_rule(rule));
    for (const auto& other : rules) {
      if (other.kpi == r.kpi) {
        return make_error(Errc::invalid_argument, "threshold rules name KPI '" + r.kpi + "' twice");
      }
    }
    rules.push_back(std::move(r));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return rules;
}

std::vector<ThresholdCrossing> KpiMonitor::observe(const std::string& node, std::span<const KpiPoint> points) {
  std::vector<ThresholdCrossing> out;
  std::lock_guard lock(mu_);
  for (const auto& p : points) {
    if (std::isnan(p.value)) continue;
    for (const auto& r : rules_) {
      if (r.kpi != p.kpi) continue;
      auto key = std::make_tuple(node, p.kpi, p.stream);
      bool raised = raised_.contains(key);
      if (!raised && p.value > r.limit) {
        raised_.insert(std::move(key));
        out.push_back({node, p.kpi, p.stream, p.value, r.limit, r.clear, true, clock_.now_ns()});
      } else if (raised && p.value <= r.clear) {
        raised_.erase(key);
        out.push_back({node, p.kpi, p.stream, p.value, r.limit, r.clear, false, clock_.now_ns()});
      }
    }
  }
  return out;
}

size_t KpiMonitor::raised_count() const {
  std::lock_guard lock(mu_);
  return raised_.size();
}

}  // namespace iotwins::resource
