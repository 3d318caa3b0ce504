#include "simulation/hvac_zone.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace iotwins::simulation {
namespace {

constexpr std::array<PropertyInfo, 5> kZoneProperties = {{
    {"zone_temp_c", "degC", 0.05, 0.0},
    {"outdoor_temp_c", "degC", 0.1, 0.0},
    {"setpoint_c", "degC", 0.0, 0.0},
    {"thermal_power_kw", "kW", 0.05, 0.01},
    {"power_kw", "kW", 0.02, 0.01},
}};

}  // namespace

Result<std::unique_ptr<HvacZone>> HvacZone::create(const std::string& twin,
                                                   const HvacZoneParams& params,
                                                   const HvacZoneInitial& initial) {
  std::unique_ptr<HvacZone> z(new HvacZone());
  z->params_ = params;
  IOT_TRY(z->parameters_changed());
  z->add_port(twin, "hvac_zone", kZoneProperties);
  z->temp_c_ = initial.zone_temp_c;
  z->setpoint_c_ = initial.setpoint_c;
  z->enabled_ = initial.enabled ? 1.0 : 0.0;
  return z;
}

Status HvacZone::parameters_changed() {
  if (params_.resistance_k_per_kw <= 0 || params_.capacitance_kj_per_k <= 0) {
    return make_error(Errc::invalid_argument, "hvac zone: resistance and capacitance must be > 0");
  }
  return ok();
}

double HvacZone::time_constant_s() const {
  return params_.resistance_k_per_kw * params_.capacitance_kj_per_k;
}

double HvacZone::outdoor_temp(double t) const {
  const double hour = params_.start_hour + t / 3600.0;
  return params_.outdoor_mean_c +
         params_.outdoor_amplitude_c *
             std::cos(2.0 * std::numbers::pi * (hour - params_.outdoor_peak_hour) / 24.0);
}

void HvacZone::compute(double t) {
  outdoor_c_ = outdoor_temp(t);
  hvac_kw_ = enabled_ != 0.0 ? std::clamp(params_.gain_kw_per_k * (setpoint_c_ - temp_c_),
                                          -params_.cooling_max_kw, params_.heating_max_kw)
                             : 0.0;
  out(0, kZoneTemp) = temp_c_;
  out(0, kOutdoorTemp) = outdoor_c_;
  out(0, kSetpoint) = setpoint_c_;
  out(0, kThermalPower) = hvac_kw_;
  out(0, kPower) = hvac_kw_ >= 0.0 ? hvac_kw_ / params_.cop_heating : -hvac_kw_ / params_.cop_cooling;
}

void HvacZone::advance(double dt) {
  // Exact solution of the linear ODE over dt with the inputs held: relaxes toward T_eq.
  const double t_eq = outdoor_c_ + params_.resistance_k_per_kw * (hvac_kw_ + params_.internal_gain_kw);
  temp_c_ = t_eq + (temp_c_ - t_eq) * std::exp(-dt / time_constant_s());
}

Status HvacZone::set_state(size_t port, std::string_view property, double value) {
  if (property == "zone_temp_c") {
    temp_c_ = value;
    return ok();
  }
  if (property == "setpoint_c") {
    setpoint_c_ = value;
    return ok();
  }
  return unknown_state(port, property);
}

std::vector<NumberRef> HvacZone::setpoints(size_t /*port*/) {
  return {{"setpoint_c", Bounds::range(5.0, 35.0), &setpoint_c_},
          {"enabled", Bounds::fraction(), &enabled_, true}};
}

std::vector<NumberRef> HvacZone::parameters(size_t /*port*/) {
  auto& p = params_;
  return {
      {"resistance_k_per_kw", Bounds::positive(), &p.resistance_k_per_kw},
      {"capacitance_kj_per_k", Bounds::positive(), &p.capacitance_kj_per_k},
      {"internal_gain_kw", Bounds::any(), &p.internal_gain_kw},
      {"outdoor_mean_c", Bounds::range(-60.0, 60.0), &p.outdoor_mean_c},
      {"outdoor_amplitude_c", Bounds::non_negative(), &p.outdoor_amplitude_c},
      {"gain_kw_per_k", Bounds::non_negative(), &p.gain_kw_per_k},
      {"heating_max_kw", Bounds::non_negative(), &p.heating_max_kw},
      {"cooling_max_kw", Bounds::non_negative(), &p.cooling_max_kw},
  };
}

}  // namespace iotwins::simulation
