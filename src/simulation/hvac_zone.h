// HvacZone: one thermal zone of a building as a first-order RC model, C·dT/dt =
// (T_out − T)/R + Q_hvac + Q_internal, with a proportional thermostat Q_hvac =
// clamp(K·(T_set − T), −Q_cool_max, Q_heat_max) held over each step (zero-order hold, as a
// digital controller does) and an outdoor temperature that follows the day.
#pragma once

#include <memory>

#include "simulation/unit.h"

namespace iotwins::simulation {

struct HvacZoneParams {
  double resistance_k_per_kw = 2.0;      // R: envelope, zone to outdoors
  double capacitance_kj_per_k = 20000.0; // C: air, furniture, inner walls (τ = R·C seconds)
  double internal_gain_kw = 2.0;         // people, lighting, equipment
  double outdoor_mean_c = 10.0;
  double outdoor_amplitude_c = 5.0;
  double outdoor_peak_hour = 15.0;       // hour of the day of the warmest outdoor temperature
  double start_hour = 0.0;               // hour of the day at simulated t = 0
  double gain_kw_per_k = 4.0;            // thermostat proportional gain
  double heating_max_kw = 15.0;
  double cooling_max_kw = 10.0;
  double cop_heating = 3.5;
  double cop_cooling = 3.0;
};

struct HvacZoneInitial {
  double zone_temp_c = 18.0;
  double setpoint_c = 21.0;
  bool enabled = true;
};

class HvacZone final : public Unit {
 public:
  enum Property : size_t { kZoneTemp, kOutdoorTemp, kSetpoint, kThermalPower, kPower };

  static Result<std::unique_ptr<HvacZone>> create(const std::string& twin,
                                                  const HvacZoneParams& params,
                                                  const HvacZoneInitial& initial);
  std::unique_ptr<Unit> clone() const override { return std::make_unique<HvacZone>(*this); }

  void compute(double t) override;
  void advance(double dt) override;
  bool accepts_fault(size_t, FaultKind) const override { return false; }
  void set_fault(size_t, FaultKind, double) override {}
  Status set_state(size_t port, std::string_view property, double value) override;

  double outdoor_temp(double t) const;
  // The zone's time constant τ = R·C in seconds.
  double time_constant_s() const;
  const HvacZoneParams& params() const { return params_; }

  HvacZone(const HvacZone&) = default;

 protected:
  std::vector<NumberRef> setpoints(size_t port) override;
  std::vector<NumberRef> parameters(size_t port) override;
  Status parameters_changed() override;

 private:
  HvacZone() = default;

  HvacZoneParams params_;
  double setpoint_c_ = 21.0, enabled_ = 1.0;
  double temp_c_ = 18.0;
  double outdoor_c_ = 0.0, hvac_kw_ = 0.0;
};

}  // namespace iotwins::simulation
