#include "simulation/hydraulics.h"

#include <cmath>
#include <limits>
#include <numbers>

namespace iotwins::simulation {
namespace {

constexpr double kLaminarRe = 2000.0;
constexpr double kTurbulentRe = 4000.0;
constexpr double kDischargeCoefficient = 0.62;

double swamee_jain(double re, double relative_roughness) {
  const double term = std::log10(relative_roughness / 3.7 + 5.74 / std::pow(re, 0.9));
  return 0.25 / (term * term);
}

}  // namespace

double pressure_to_head(double pa, const Fluid& fluid) { return pa / (fluid.density * kGravity); }
double head_to_pressure(double head_m, const Fluid& fluid) {
  return head_m * fluid.density * kGravity;
}

double friction_factor(double re, double relative_roughness) {
  if (re <= 0.0) return 0.0;
  if (re <= kLaminarRe) return 64.0 / re;
  if (re >= kTurbulentRe) return swamee_jain(re, relative_roughness);
  const double w = (re - kLaminarRe) / (kTurbulentRe - kLaminarRe);
  return (1.0 - w) * (64.0 / kLaminarRe) + w * swamee_jain(kTurbulentRe, relative_roughness);
}

double reynolds(double q, const PipeParams& pipe, const Fluid& fluid) {
  const double area = std::numbers::pi * pipe.diameter_m * pipe.diameter_m / 4.0;
  return fluid.density * std::abs(q) / area * pipe.diameter_m / fluid.viscosity;
}

double pipe_head_loss(double q, const PipeParams& pipe, const Fluid& fluid) {
  const double area = std::numbers::pi * pipe.diameter_m * pipe.diameter_m / 4.0;
  const double v = q / area;
  const double f = pipe.friction_factor > 0.0
                       ? pipe.friction_factor
                       : friction_factor(reynolds(q, pipe, fluid), pipe.roughness_m / pipe.diameter_m);
  return (f * pipe.length_m / pipe.diameter_m + pipe.minor_loss_k) * v * std::abs(v) /
         (2.0 * kGravity);
}

bool parse_valve_characteristic(const std::string& name, ValveCharacteristic& out) {
  if (name == "linear") out = ValveCharacteristic::linear;
  else if (name == "equal_percentage") out = ValveCharacteristic::equal_percentage;
  else if (name == "quick_opening") out = ValveCharacteristic::quick_opening;
  else return false;
  return true;
}

double valve_kv(double opening, const ValveParams& valve) {
  if (opening <= 0.0) return 0.0;
  const double x = std::min(opening, 1.0);
  switch (valve.characteristic) {
    case ValveCharacteristic::linear: return valve.kv_max * x;
    case ValveCharacteristic::equal_percentage:
      return valve.kv_max * std::pow(valve.rangeability, x - 1.0);
    case ValveCharacteristic::quick_opening: return valve.kv_max * std::sqrt(x);
  }
  return 0.0;
}

double valve_head_loss(double q, double kv, const Fluid& fluid) {
  if (kv <= 0.0) return std::numeric_limits<double>::infinity();
  const double q_m3h = q * kSecondsPerHour;
  const double dp_bar = (fluid.density / 1000.0) * (q_m3h / kv) * std::abs(q_m3h / kv);
  return pressure_to_head(dp_bar * 1e5, fluid);
}

double orifice_outflow(double area_m2, double level_m) {
  if (area_m2 <= 0.0 || level_m <= 0.0) return 0.0;
  return kDischargeCoefficient * area_m2 * std::sqrt(2.0 * kGravity * level_m);
}

}  // namespace iotwins::simulation
