// Faults: process faults change the physics of a unit (a valve that closes by itself, a
// clogged suction causing cavitation, bearing wear, a leaking tank, a fouled exchanger);
// sensor faults change only what a sensor reports (drift, stuck, bias). Each fault has a
// schedule: it starts at `at`, ramps linearly to full over `ramp`, and ends at `until`.
#pragma once

#include <limits>
#include <string>
#include <string_view>

#include "core/result.h"

namespace iotwins::simulation {

class YamlMap;

enum class FaultKind { valve_closure, cavitation, bearing_wear, leak, fouling, drift, stuck, bias };

std::string_view fault_kind_name(FaultKind kind);
Result<FaultKind> parse_fault_kind(std::string_view name);
bool is_sensor_fault(FaultKind kind);

struct FaultSpec {
  FaultKind kind = FaultKind::bearing_wear;
  std::string twin;
  std::string property;  // sensor faults: the property whose sensor fails
  double at_s = 0.0;     // simulated seconds since the start
  double ramp_s = 0.0;
  double until_s = std::numeric_limits<double>::infinity();
  double severity = 1.0;   // process faults: 0 (none) .. 1 (full)
  double magnitude = 0.0;  // bias: offset in the property's unit; drift: unit per hour

  // The schedule's envelope at time t: 0 before `at` and after `until`, then a ramp to 1.
  double level(double t) const;
};

// A fault from YAML: {kind, twin, property?, at?, ramp?, until?, severity?, offset?, rate_per_h?}.
Result<FaultSpec> parse_fault(const YamlMap& map);
// A fault from one line of text (the CLI's --fault):
//   "kind:twin[:property][,at=1h][,ramp=30m][,until=2h][,severity=0.8][,offset=0.2][,rate_per_h=0.1]"
Result<FaultSpec> parse_fault_text(std::string_view text);

}  // namespace iotwins::simulation
