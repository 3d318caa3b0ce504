#include "simulation/circuit.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace iotwins::simulation {
namespace {

constexpr std::array<PropertyInfo, 11> kPumpProperties = {{
    {"speed_rpm", "rpm", 2.0, 0.0},
    {"flow_m3h", "m3/h", 0.05, 0.005},
    {"head_m", "m", 0.05, 0.002},
    {"suction_pressure_bar", "bar", 0.003, 0.0},
    {"discharge_pressure_bar", "bar", 0.005, 0.002},
    {"efficiency_pct", "%", 0.2, 0.0},
    {"power_kw", "kW", 0.02, 0.005},
    {"current_a", "A", 0.05, 0.005},
    {"motor_temp_c", "degC", 0.1, 0.0},
    {"vibration_mm_s", "mm/s", 0.03, 0.05},
    {"npsh_margin_m", "m", 0.05, 0.0},
}};
constexpr std::array<PropertyInfo, 3> kValveProperties = {{
    {"opening_pct", "%", 0.1, 0.0},
    {"flow_m3h", "m3/h", 0.05, 0.005},
    {"dp_bar", "bar", 0.005, 0.002},
}};
constexpr std::array<PropertyInfo, 3> kTankProperties = {{
    {"level_m", "m", 0.003, 0.0},
    {"inflow_m3h", "m3/h", 0.05, 0.005},
    {"outflow_m3h", "m3/h", 0.05, 0.005},
}};

constexpr double kPaPerBar = 1e5;

}  // namespace

Result<std::unique_ptr<PumpCircuit>> PumpCircuit::create(const CircuitTwins& twins,
                                                         const CircuitParams& params,
                                                         const CircuitInitial& initial) {
  std::unique_ptr<PumpCircuit> c(new PumpCircuit());
  c->params_ = params;
  IOT_TRY(c->parameters_changed());
  c->add_port(twins.pump, "pump", kPumpProperties);
  c->add_port(twins.valve, "valve", kValveProperties);
  c->add_port(twins.tank, "tank", kTankProperties);
  c->target_rpm_ = initial.speed_rpm;
  c->running_ = initial.running ? 1.0 : 0.0;
  c->speed_rpm_ = initial.running ? initial.speed_rpm : 0.0;
  c->opening_pct_ = initial.opening_pct;
  c->demand_m3h_ = initial.demand_m3h;
  c->level_m_ = std::clamp(initial.level_m, 0.0, params.tank.height_m);
  c->motor_temp_c_ = initial.motor_temp_c < 0 ? params.motor.ambient_c : initial.motor_temp_c;
  return c;
}

Status PumpCircuit::parameters_changed() {
  IOT_ASSIGN(curve_, PumpCurve::fit(params_.pump));
  if (params_.pump.max_speed_rpm < params_.pump.rated_speed_rpm * 0.5) {
    return make_error(Errc::invalid_argument, "pump: max_speed_rpm is below half the rated speed");
  }
  return ok();
}

double PumpCircuit::effective_opening() const {
  return opening_pct_ / 100.0 * (1.0 - closure_);
}

double PumpCircuit::npsh_available(double q) const {
  const double x = q / curve_.bep_flow();
  const double suction_loss = (params_.suction.loss_m_at_bep + clog_ * params_.suction.clog_loss_m_at_bep) * x * x;
  return pressure_to_head(kAtmosphere - params_.fluid.vapor_pressure, params_.fluid) +
         params_.suction.static_head_m - suction_loss;
}

// Cavitation severity in [0, 1]: the NPSH shortfall as a fraction of NPSH required.
double PumpCircuit::cavitation(double q, double s) const {
  const double required = curve_.npsh_required(q, s);
  if (required <= 0.0) return 0.0;
  return std::clamp((required - npsh_available(q)) / required, 0.0, 1.0);
}

double PumpCircuit::pump_head(double q) const {
  const double s = speed_ratio();
  return curve_.head(q, s) * (1.0 - params_.pump.cavitation_head_loss * cavitation(q, s));
}

double PumpCircuit::system_head(double q) const {
  const double kv = valve_kv(effective_opening(), params_.valve);
  return params_.tank.bottom_elevation_m + level_m_ + pipe_head_loss(q, params_.pipe, params_.fluid) +
         valve_head_loss(q, kv, params_.fluid);
}

void PumpCircuit::compute(double /*t*/) {
  const double s = speed_ratio();
  const double kv = valve_kv(effective_opening(), params_.valve);
  q_ = 0.0;
  iterations_ = 0;
  if (s > 0.0 && kv > 0.0 && pump_head(0.0) > system_head(0.0)) {
    // g(q) = H_pump − H_system; the slope keeps the friction factor frozen (quasi-Newton).
    auto g = [&](double q, double& slope) {
      const double cav = cavitation(q, s);
      const double derate = 1.0 - params_.pump.cavitation_head_loss * cav;
      const double losses = pipe_head_loss(q, params_.pipe, params_.fluid) +
                            valve_head_loss(q, kv, params_.fluid);
      slope = curve_.dhead_dq(q, s) * derate - (q > 0.0 ? 2.0 * losses / q : 0.0);
      return curve_.head(q, s) * derate -
             (params_.tank.bottom_elevation_m + level_m_ + losses);
    };
    const RootResult root = solve_root(g, 0.0, curve_.runout_flow(s), params_.solver);
    q_ = root.q;
    iterations_ = root.iterations;
  }
  const double cav = s > 0.0 ? cavitation(q_, s) : 0.0;
  const double head = s > 0.0 ? pump_head(q_) : 0.0;
  const double shaft_w = curve_.shaft_power(q_, head, s, wear_, params_.fluid);
  const double input_w = motor_input_power(shaft_w, params_.motor);
  loss_w_ = input_w - shaft_w;
  const double x = q_ / curve_.bep_flow();
  const double suction_head = params_.suction.static_head_m -
                              (params_.suction.loss_m_at_bep + clog_ * params_.suction.clog_loss_m_at_bep) * x * x;
  const double suction_bar = head_to_pressure(suction_head, params_.fluid) / kPaPerBar;
  const double q_m3h = q_ * kSecondsPerHour;

  out(kPump, kSpeed) = speed_rpm_;
  out(kPump, kFlow) = q_m3h;
  out(kPump, kHead) = head;
  out(kPump, kSuctionPressure) = suction_bar;
  out(kPump, kDischargePressure) = suction_bar + head_to_pressure(head, params_.fluid) / kPaPerBar;
  out(kPump, kEfficiency) = shaft_w > 0.0 ? 100.0 * params_.fluid.density * kGravity * q_ * head / shaft_w : 0.0;
  out(kPump, kPower) = input_w / 1e3;
  out(kPump, kCurrent) = motor_current(input_w, params_.motor);
  out(kPump, kMotorTemp) = motor_temp_c_;
  out(kPump, kVibration) = curve_.vibration(s, wear_, cav);
  out(kPump, kNpshMargin) = npsh_available(q_) - curve_.npsh_required(q_, s);

  out(kValve, kOpening) = effective_opening() * 100.0;
  out(kValve, kValveFlow) = q_m3h;
  out(kValve, kValveDp) = q_ > 0.0 ? head_to_pressure(valve_head_loss(q_, kv, params_.fluid), params_.fluid) / kPaPerBar : 0.0;

  // An empty tank can pass on only what flows in.
  const double demand = demand_m3h_ / kSecondsPerHour;
  outflow_ = level_m_ > 0.0 ? demand : std::min(demand, q_);
  out(kTank, kLevel) = level_m_;
  out(kTank, kInflow) = q_m3h;
  out(kTank, kOutflow) = outflow_ * kSecondsPerHour;
}

void PumpCircuit::advance(double dt) {
  const double target = running_ != 0.0 ? target_rpm_ : 0.0;
  const double max_change = params_.pump.speed_ramp_rpm_s * dt;
  speed_rpm_ += std::clamp(target - speed_rpm_, -max_change, max_change);
  motor_temp_c_ = motor_winding_step(motor_temp_c_, loss_w_, dt, params_.motor);
  const double leak = orifice_outflow(leak_ * params_.tank.leak_area_m2, level_m_);
  const double level = level_m_ + (q_ - outflow_ - leak) * dt / params_.tank.area_m2;
  // Below empty the outflow stops; above full the tank overflows.
  level_m_ = std::clamp(level, 0.0, params_.tank.height_m);
}

bool PumpCircuit::accepts_fault(size_t port, FaultKind kind) const {
  switch (kind) {
    case FaultKind::cavitation:
    case FaultKind::bearing_wear: return port == kPump;
    case FaultKind::valve_closure: return port == kValve;
    case FaultKind::leak: return port == kTank;
    default: return false;
  }
}

void PumpCircuit::set_fault(size_t /*port*/, FaultKind kind, double severity) {
  switch (kind) {
    case FaultKind::cavitation: clog_ = severity; break;
    case FaultKind::bearing_wear: wear_ = severity; break;
    case FaultKind::valve_closure: closure_ = severity; break;
    case FaultKind::leak: leak_ = severity; break;
    default: break;
  }
}

Status PumpCircuit::set_state(size_t port, std::string_view property, double value) {
  if (port == kPump && property == "speed_rpm" && value >= 0.0) {
    // A measured speed drives the model directly: no ramp toward an older setpoint.
    speed_rpm_ = target_rpm_ = value;
    running_ = value > 0.0 ? 1.0 : 0.0;
    return ok();
  }
  if (port == kPump && property == "motor_temp_c") {
    motor_temp_c_ = value;
    return ok();
  }
  if (port == kValve && property == "opening_pct" && value >= 0.0 && value <= 100.0) {
    opening_pct_ = value;
    return ok();
  }
  if (port == kTank && property == "level_m" && value >= 0.0) {
    level_m_ = std::min(value, params_.tank.height_m);
    return ok();
  }
  if (port == kTank && property == "outflow_m3h" && value >= 0.0) {
    demand_m3h_ = value;
    return ok();
  }
  return unknown_state(port, property);
}

std::vector<NumberRef> PumpCircuit::setpoints(size_t port) {
  switch (port) {
    case kPump:
      return {{"speed_rpm", Bounds::range(0.0, params_.pump.max_speed_rpm), &target_rpm_},
              {"running", Bounds::fraction(), &running_, true}};
    case kValve: return {{"opening_pct", Bounds::range(0.0, 100.0), &opening_pct_}};
    default: return {{"demand_m3h", Bounds::non_negative(), &demand_m3h_}};
  }
}

std::vector<NumberRef> PumpCircuit::parameters(size_t /*port*/) {
  auto& p = params_;
  return {
      {"pump.rated_speed_rpm", Bounds::positive(), &p.pump.rated_speed_rpm},
      {"pump.shutoff_head_m", Bounds::positive(), &p.pump.shutoff_head_m},
      {"pump.bep_flow_m3h", Bounds::positive(), &p.pump.bep_flow_m3h},
      {"pump.bep_head_m", Bounds::positive(), &p.pump.bep_head_m},
      {"pump.runout_flow_m3h", Bounds::positive(), &p.pump.runout_flow_m3h},
      {"pump.bep_efficiency", {0.0, 1.0, true}, &p.pump.bep_efficiency},
      {"motor.efficiency", {0.0, 1.0, true}, &p.motor.efficiency},
      {"motor.ambient_c", Bounds::range(-50.0, 80.0), &p.motor.ambient_c},
      {"suction.static_head_m", Bounds::range(-10.0, 100.0), &p.suction.static_head_m},
      {"pipe.length_m", Bounds::positive(), &p.pipe.length_m},
      {"pipe.diameter_m", Bounds::positive(), &p.pipe.diameter_m},
      {"pipe.minor_loss_k", Bounds::non_negative(), &p.pipe.minor_loss_k},
      {"valve.kv_max", Bounds::positive(), &p.valve.kv_max},
      {"tank.area_m2", Bounds::positive(), &p.tank.area_m2},
      {"tank.bottom_elevation_m", Bounds::non_negative(), &p.tank.bottom_elevation_m},
  };
}

}  // namespace iotwins::simulation
