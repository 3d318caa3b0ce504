#include "simulation/pump.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace iotwins::simulation {
namespace {

// The efficiency never falls below this fraction of η_bep, so shaft power stays finite near
// shut-off and runout where the parabola reaches zero.
constexpr double kMinEfficiencyFraction = 0.1;

}  // namespace

Result<PumpCurve> PumpCurve::fit(const PumpParams& p) {
  const double qb = p.bep_flow_m3h / kSecondsPerHour;
  const double qm = p.runout_flow_m3h / kSecondsPerHour;
  if (!(p.bep_flow_m3h > 0 && p.runout_flow_m3h > p.bep_flow_m3h)) {
    return make_error(Errc::invalid_argument, "pump curve: need 0 < bep_flow_m3h < runout_flow_m3h");
  }
  if (!(p.shutoff_head_m > 0 && p.bep_head_m > 0 && p.bep_head_m < 1.5 * p.shutoff_head_m)) {
    return make_error(Errc::invalid_argument, "pump curve: need heads > 0 and bep_head_m < 1.5 x shutoff_head_m");
  }
  // Two linear equations in a1, a2 with a0 = H0:
  //   a1·qb + a2·qb² = Hb − H0,   a1·qm + a2·qm² = −H0.
  const double h0 = p.shutoff_head_m;
  const double det = qb * qm * qm - qm * qb * qb;
  const double a1 = ((p.bep_head_m - h0) * qm * qm - (-h0) * qb * qb) / det;
  const double a2 = (qb * (-h0) - qm * (p.bep_head_m - h0)) / det;
  if (!(a2 < 0)) {
    return make_error(Errc::invalid_argument,
                      "pump curve: the points (0, " + std::to_string(h0) + " m), (" +
                          std::to_string(p.bep_flow_m3h) + " m3/h, " + std::to_string(p.bep_head_m) +
                          " m), (" + std::to_string(p.runout_flow_m3h) +
                          " m3/h, 0 m) do not make a falling, concave curve");
  }
  if (!(p.npshr_bep_m >= p.npshr_shutoff_m && p.npshr_shutoff_m >= 0)) {
    return make_error(Errc::invalid_argument, "pump curve: need 0 <= npshr_shutoff_m <= npshr_bep_m");
  }
  PumpCurve curve;
  curve.params_ = p;
  curve.a0_ = h0;
  curve.a1_ = a1;
  curve.a2_ = a2;
  curve.r0_ = p.npshr_shutoff_m;
  curve.r2_ = (p.npshr_bep_m - p.npshr_shutoff_m) / (qb * qb);
  curve.bep_flow_ = qb;
  curve.runout_ = qm;
  return curve;
}

double PumpCurve::efficiency(double q, double s) const {
  if (s <= 0.0) return 0.0;
  const double x = q / (s * bep_flow_);
  const double eta = params_.bep_efficiency * (2.0 * x - x * x);
  return std::max(eta, kMinEfficiencyFraction * params_.bep_efficiency);
}

double PumpCurve::shaft_power(double q, double head_m, double s, double bearing_wear,
                              const Fluid& fluid) const {
  if (s <= 0.0) return 0.0;
  const double hydraulic = fluid.density * kGravity * q * std::max(head_m, 0.0);
  return hydraulic / efficiency(q, s) + params_.shutoff_power_kw * 1e3 * s * s * s +
         params_.bearing_loss_kw * 1e3 * bearing_wear * s;
}

double PumpCurve::vibration(double s, double bearing_wear, double cavitation) const {
  return params_.base_vibration_mm_s * s * s * (1.0 + params_.wear_vibration_gain * bearing_wear) +
         params_.cavitation_vibration_mm_s * cavitation;
}

double motor_input_power(double shaft_w, const MotorParams& motor) {
  return shaft_w / motor.efficiency;
}

double motor_current(double input_w, const MotorParams& motor) {
  return input_w / (std::sqrt(3.0) * motor.voltage_v * motor.power_factor);
}

double motor_winding_step(double temp_c, double loss_w, double dt, const MotorParams& motor) {
  const double steady = motor.ambient_c + motor.thermal_resistance_k_per_kw * loss_w / 1e3;
  return steady + (temp_c - steady) * std::exp(-dt / motor.thermal_time_constant_s);
}

}  // namespace iotwins::simulation
