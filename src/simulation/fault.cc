#include "simulation/fault.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "core/config.h"
#include "simulation/yaml_map.h"

namespace iotwins::simulation {
namespace {

constexpr std::array<std::pair<FaultKind, std::string_view>, 8> kNames = {{
    {FaultKind::valve_closure, "valve_closure"},
    {FaultKind::cavitation, "cavitation"},
    {FaultKind::bearing_wear, "bearing_wear"},
    {FaultKind::leak, "leak"},
    {FaultKind::fouling, "fouling"},
    {FaultKind::drift, "drift"},
    {FaultKind::stuck, "stuck"},
    {FaultKind::bias, "bias"},
}};

Status check_spec(const FaultSpec& spec, const std::string& where) {
  if (spec.twin.empty()) {
    return make_error(Errc::invalid_argument, where + ": a fault needs the 'twin' it acts on");
  }
  if (is_sensor_fault(spec.kind) && spec.property.empty()) {
    return make_error(Errc::invalid_argument, where + ": a " +
                                                  std::string(fault_kind_name(spec.kind)) +
                                                  " fault needs the 'property' whose sensor fails");
  }
  if (!is_sensor_fault(spec.kind) && !spec.property.empty()) {
    return make_error(Errc::invalid_argument, where + ": a " +
                                                  std::string(fault_kind_name(spec.kind)) +
                                                  " fault acts on the process and takes no 'property'");
  }
  if (!(spec.until_s > spec.at_s)) {
    return make_error(Errc::invalid_argument, where + ": 'until' must come after 'at'");
  }
  return ok();
}

Result<double> duration_value(std::string_view key, std::string_view text) {
  char* end = nullptr;
  const std::string s(text);
  double v = std::strtod(s.c_str(), &end);
  if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(v) && v >= 0) return v;
  auto ms = parse_duration(text);
  if (!ms || ms->count() < 0) {
    return make_error(Errc::invalid_argument,
                      "'" + std::string(key) + "' must be a duration such as 90, 15m or 2h, got '" + s + "'");
  }
  return static_cast<double>(ms->count()) / 1000.0;
}

Result<double> number_value(std::string_view key, std::string_view text) {
  char* end = nullptr;
  const std::string s(text);
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
    return make_error(Errc::invalid_argument,
                      "'" + std::string(key) + "' must be a number, got '" + s + "'");
  }
  return v;
}

}  // namespace

std::string_view fault_kind_name(FaultKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

Result<FaultKind> parse_fault_kind(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (n == name) return k;
  }
  std::string known;
  for (const auto& [k, n] : kNames) known += (known.empty() ? "" : ", ") + std::string(n);
  return make_error(Errc::invalid_argument,
                    "unknown fault kind '" + std::string(name) + "' (known: " + known + ")");
}

bool is_sensor_fault(FaultKind kind) {
  return kind == FaultKind::drift || kind == FaultKind::stuck || kind == FaultKind::bias;
}

double FaultSpec::level(double t) const {
  if (t < at_s || t >= until_s) return 0.0;
  if (ramp_s <= 0.0) return 1.0;
  return std::min(1.0, (t - at_s) / ramp_s);
}

Result<FaultSpec> parse_fault(const YamlMap& map) {
  IOT_TRY(map.only_keys({"kind", "twin", "property", "at", "ramp", "until", "severity", "offset",
                         "rate_per_h"}));
  FaultSpec spec;
  IOT_ASSIGN(std::string kind, map.text("kind"));
  auto parsed = parse_fault_kind(kind);
  if (!parsed) return map.error_at("kind", parsed.error().message());
  spec.kind = *parsed;
  IOT_ASSIGN(spec.twin, map.text("twin"));
  IOT_ASSIGN(spec.property, map.text("property", ""));
  IOT_ASSIGN(spec.at_s, map.seconds("at", Bounds::non_negative(), 0.0));
  IOT_ASSIGN(spec.ramp_s, map.seconds("ramp", Bounds::non_negative(), 0.0));
  IOT_ASSIGN(spec.until_s, map.seconds("until", Bounds::non_negative(), spec.until_s));
  IOT_ASSIGN(spec.severity, map.number("severity", Bounds::fraction(), 1.0));
  if (spec.kind == FaultKind::bias) {
    IOT_ASSIGN(spec.magnitude, map.number("offset", Bounds::any()));
  } else if (spec.kind == FaultKind::drift) {
    IOT_ASSIGN(spec.magnitude, map.number("rate_per_h", Bounds::any()));
  } else if (map.has("offset") || map.has("rate_per_h")) {
    return map.error_at(map.has("offset") ? "offset" : "rate_per_h",
                        "only bias (offset) and drift (rate_per_h) faults take it");
  }
  IOT_TRY(check_spec(spec, map.where()));
  return spec;
}

Result<FaultSpec> parse_fault_text(std::string_view text) {
  const std::string where = "fault '" + std::string(text) + "'";
  const size_t comma = text.find(',');
  std::string_view head = text.substr(0, comma);
  std::string_view options = comma == std::string_view::npos ? "" : text.substr(comma + 1);
  FaultSpec spec;
  const size_t c1 = head.find(':');
  if (c1 == std::string_view::npos || c1 + 1 >= head.size()) {
    return make_error(Errc::invalid_argument, where + ": expected kind:twin[:property][,key=value...]");
  }
  auto kind = parse_fault_kind(head.substr(0, c1));
  if (!kind) return std::unexpected(std::move(kind.error()).context(where));
  spec.kind = *kind;
  std::string_view rest = head.substr(c1 + 1);
  const size_t c2 = rest.find(':');
  spec.twin = std::string(rest.substr(0, c2));
  if (c2 != std::string_view::npos) spec.property = std::string(rest.substr(c2 + 1));
  bool has_offset = false;
  bool has_rate = false;
  while (!options.empty()) {
    const size_t next = options.find(',');
    std::string_view item = options.substr(0, next);
    options = next == std::string_view::npos ? "" : options.substr(next + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return make_error(Errc::invalid_argument, where + ": option '" + std::string(item) + "' is not key=value");
    }
    std::string_view key = item.substr(0, eq);
    std::string_view value = item.substr(eq + 1);
    Result<double> v = (key == "at" || key == "ramp" || key == "until")
                           ? duration_value(key, value)
                           : number_value(key, value);
    if (!v) return std::unexpected(std::move(v.error()).context(where));
    if (key == "at") spec.at_s = *v;
    else if (key == "ramp") spec.ramp_s = *v;
    else if (key == "until") spec.until_s = *v;
    else if (key == "severity") {
      if (*v < 0 || *v > 1) return make_error(Errc::invalid_argument, where + ": 'severity' must be in [0, 1]");
      spec.severity = *v;
    } else if (key == "offset" && spec.kind == FaultKind::bias) {
      spec.magnitude = *v;
      has_offset = true;
    } else if (key == "rate_per_h" && spec.kind == FaultKind::drift) {
      spec.magnitude = *v;
      has_rate = true;
    } else {
      return make_error(Errc::invalid_argument, where + ": unknown option '" + std::string(key) + "' for a " +
                                                    std::string(fault_kind_name(spec.kind)) + " fault");
    }
  }
  if (spec.kind == FaultKind::bias && !has_offset) {
    return make_error(Errc::invalid_argument, where + ": a bias fault needs offset=");
  }
  if (spec.kind == FaultKind::drift && !has_rate) {
    return make_error(Errc::invalid_argument, where + ": a drift fault needs rate_per_h=");
  }
  IOT_TRY(check_spec(spec, where));
  return spec;
}

}  // namespace iotwins::simulation
