// Unit: a group of physically coupled assets simulated together (a pump circuit, an HVAC zone,
// a heat exchanger). Each asset of a unit is a *port* with its own twin id and a fixed table
// of telemetry properties. A step is compute(t) — the algebraic outputs of the current state —
// then advance(dt) — the state integrated over the step with those outputs held constant.
// Setpoints, parameters and settable states are exposed through small reference tables so the
// validation (names, types, ranges, all-or-nothing) is written once, here.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "simulation/fault.h"
#include "simulation/yaml_map.h"

namespace iotwins::simulation {

// One telemetry property: its name, unit, and default sensor noise σ = abs + rel·|value|.
struct PropertyInfo {
  std::string_view name;
  std::string_view unit;
  double noise_abs = 0.0;
  double noise_rel = 0.0;
};

// A writable number of a unit: a setpoint (desired state) or a parameter.
struct NumberRef {
  std::string_view key;
  Bounds bounds;
  double* value;
  bool boolean = false;  // a setpoint carried as JSON true/false, stored as 1/0
};

class Unit {
 public:
  virtual ~Unit() = default;
  virtual std::unique_ptr<Unit> clone() const = 0;

  size_t port_count() const { return ports_.size(); }
  const std::string& twin(size_t port) const { return ports_[port].twin; }
  std::string_view kind(size_t port) const { return ports_[port].kind; }
  std::span<const PropertyInfo> properties(size_t port) const { return ports_[port].properties; }
  // True (noise-free) values of the last compute(), aligned with properties(port).
  std::span<const double> values(size_t port) const { return ports_[port].values; }

  virtual void compute(double t) = 0;
  virtual void advance(double dt) = 0;

  // Applies the setpoints in a JSON object ({"speed_rpm": 2400, "running": true}); checks
  // every key and value first, so a bad one changes nothing.
  Status apply_desired(size_t port, const nlohmann::json& state);
  // The current setpoints of a port, as the device reports them.
  nlohmann::json desired(size_t port) const;
  // Sets one model parameter (scenario sweeps), then re-derives what depends on it.
  Status set_parameter(size_t port, std::string_view key, double value);
  std::vector<std::string> parameter_names(size_t port);

  virtual bool accepts_fault(size_t port, FaultKind kind) const = 0;
  // The current severity (0..1) of a process fault on a port.
  virtual void set_fault(size_t port, FaultKind kind, double severity) = 0;
  // Overwrites a state or an input from a measurement (hybrid twin); the property must be one
  // the unit can take from outside.
  virtual Status set_state(size_t port, std::string_view property, double value) = 0;

 protected:
  struct Port {
    std::string twin;
    std::string_view kind;
    std::span<const PropertyInfo> properties;
    std::vector<double> values;
  };
  void add_port(std::string twin, std::string_view kind, std::span<const PropertyInfo> properties);
  double& out(size_t port, size_t property) { return ports_[port].values[property]; }

  virtual std::vector<NumberRef> setpoints(size_t port) = 0;
  virtual std::vector<NumberRef> parameters(size_t port) = 0;
  // Called after a parameter changed; rejects a combination that makes no sense.
  virtual Status parameters_changed() { return ok(); }
  Status unknown_state(size_t port, std::string_view property) const;

  std::vector<Port> ports_;
};

// Reads the setpoints of `refs` from YAML (initial values in the plant file).
Status read_setpoints(const YamlMap& map, const std::vector<NumberRef>& refs);

}  // namespace iotwins::simulation
