#include "simulation/heat_exchanger.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace iotwins::simulation {
namespace {

constexpr std::array<PropertyInfo, 8> kExchangerProperties = {{
    {"hot_in_c", "degC", 0.05, 0.0},
    {"hot_out_c", "degC", 0.05, 0.0},
    {"cold_in_c", "degC", 0.05, 0.0},
    {"cold_out_c", "degC", 0.05, 0.0},
    {"hot_flow_kg_s", "kg/s", 0.01, 0.005},
    {"cold_flow_kg_s", "kg/s", 0.01, 0.005},
    {"duty_kw", "kW", 0.5, 0.01},
    {"effectiveness", "", 0.002, 0.0},
}};

}  // namespace

double counterflow_effectiveness(double ntu, double cr) {
  if (ntu <= 0.0) return 0.0;
  if (std::abs(1.0 - cr) < 1e-9) return ntu / (1.0 + ntu);
  const double e = std::exp(-ntu * (1.0 - cr));
  return (1.0 - e) / (1.0 - cr * e);
}

Result<std::unique_ptr<HeatExchanger>> HeatExchanger::create(const std::string& twin,
                                                             const HeatExchangerParams& params,
                                                             const HeatExchangerInitial& initial) {
  std::unique_ptr<HeatExchanger> x(new HeatExchanger());
  x->params_ = params;
  x->add_port(twin, "heat_exchanger", kExchangerProperties);
  x->hot_flow_ = initial.hot_flow_kg_s;
  x->cold_flow_ = initial.cold_flow_kg_s;
  x->hot_in_c_ = initial.hot_in_c;
  // Start at rest: both outlets at their inlet temperatures.
  x->hot_out_c_ = initial.hot_in_c;
  x->cold_out_c_ = params.cold_in_c;
  return x;
}

void HeatExchanger::compute(double /*t*/) {
  const double c_hot = hot_flow_ * params_.hot_cp_kj_per_kg_k;
  const double c_cold = cold_flow_ * params_.cold_cp_kj_per_kg_k;
  double duty = 0.0;
  double effectiveness = 0.0;
  if (c_hot > 0.0 && c_cold > 0.0) {
    const double c_min = std::min(c_hot, c_cold);
    const double ua = params_.ua_kw_per_k * (1.0 - params_.fouling_ua_loss * fouling_);
    effectiveness = counterflow_effectiveness(ua / c_min, c_min / std::max(c_hot, c_cold));
    duty = effectiveness * c_min * (hot_in_c_ - params_.cold_in_c);
  }
  hot_out_ss_ = c_hot > 0.0 ? hot_in_c_ - duty / c_hot : hot_out_c_;
  cold_out_ss_ = c_cold > 0.0 ? params_.cold_in_c + duty / c_cold : cold_out_c_;
  out(0, kHotIn) = hot_in_c_;
  out(0, kHotOut) = hot_out_c_;
  out(0, kColdIn) = params_.cold_in_c;
  out(0, kColdOut) = cold_out_c_;
  out(0, kHotFlow) = hot_flow_;
  out(0, kColdFlow) = cold_flow_;
  out(0, kDuty) = duty;
  out(0, kEffectiveness) = effectiveness;
}

void HeatExchanger::advance(double dt) {
  const double decay = std::exp(-dt / params_.time_constant_s);
  hot_out_c_ = hot_out_ss_ + (hot_out_c_ - hot_out_ss_) * decay;
  cold_out_c_ = cold_out_ss_ + (cold_out_c_ - cold_out_ss_) * decay;
}

void HeatExchanger::set_fault(size_t, FaultKind kind, double severity) {
  if (kind == FaultKind::fouling) fouling_ = severity;
}

Status HeatExchanger::set_state(size_t port, std::string_view property, double value) {
  if (property == "hot_flow_kg_s" && value >= 0.0) hot_flow_ = value;
  else if (property == "cold_flow_kg_s" && value >= 0.0) cold_flow_ = value;
  else if (property == "hot_in_c") hot_in_c_ = value;
  else if (property == "cold_in_c") params_.cold_in_c = value;
  else return unknown_state(port, property);
  return ok();
}

std::vector<NumberRef> HeatExchanger::setpoints(size_t /*port*/) {
  return {{"hot_flow_kg_s", Bounds::range(0.0, 1000.0), &hot_flow_},
          {"cold_flow_kg_s", Bounds::range(0.0, 1000.0), &cold_flow_},
          {"hot_in_c", Bounds::range(0.0, 200.0), &hot_in_c_}};
}

std::vector<NumberRef> HeatExchanger::parameters(size_t /*port*/) {
  auto& p = params_;
  return {
      {"ua_kw_per_k", Bounds::positive(), &p.ua_kw_per_k},
      {"cold_in_c", Bounds::range(-20.0, 100.0), &p.cold_in_c},
      {"time_constant_s", Bounds::positive(), &p.time_constant_s},
      {"fouling_ua_loss", Bounds::fraction(), &p.fouling_ua_loss},
  };
}

}  // namespace iotwins::simulation
