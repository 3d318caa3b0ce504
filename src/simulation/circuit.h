// PumpCircuit: pump + motor → discharge pipe → control valve → tank, fed from a sump.
// Three ports (twins): the pump, the valve and the tank. Each step solves the operating
// point — the flow where the pump head (affinity-scaled, derated by cavitation) equals the
// system head (static lift + tank level + pipe and valve losses) — then integrates the drive
// speed ramp, the motor winding temperature and the tank level (mass balance with demand and
// leak). Equations and symbols: docs/simulation.md.
#pragma once

#include <memory>

#include "simulation/hydraulics.h"
#include "simulation/pump.h"
#include "simulation/solver.h"
#include "simulation/unit.h"

namespace iotwins::simulation {

struct SuctionParams {
  double static_head_m = 2.0;       // sump surface above the pump centreline
  double loss_m_at_bep = 0.3;       // suction line loss at the BEP flow (∝ q²)
  double clog_loss_m_at_bep = 6.0;  // extra loss of a fully clogged strainer (cavitation fault)
};

struct TankParams {
  double area_m2 = 10.0;
  double height_m = 5.0;
  double bottom_elevation_m = 10.0;  // tank bottom above the pump; the inlet is at the bottom
  double leak_area_m2 = 5e-4;        // orifice of a full-severity leak
};

struct CircuitParams {
  Fluid fluid;
  PumpParams pump;
  MotorParams motor;
  SuctionParams suction;
  PipeParams pipe;
  ValveParams valve;
  TankParams tank;
  SolverKind solver = SolverKind::newton;
};

struct CircuitTwins {
  std::string pump, valve, tank;
};

// Initial state and setpoints.
struct CircuitInitial {
  double speed_rpm = 2900.0;
  bool running = true;
  double opening_pct = 60.0;
  double demand_m3h = 30.0;
  double level_m = 2.0;
  double motor_temp_c = -1.0;  // < 0: start at ambient
};

class PumpCircuit final : public Unit {
 public:
  enum PortIndex : size_t { kPump = 0, kValve = 1, kTank = 2 };
  // Pump properties, in order.
  enum PumpProperty : size_t {
    kSpeed, kFlow, kHead, kSuctionPressure, kDischargePressure, kEfficiency, kPower, kCurrent,
    kMotorTemp, kVibration, kNpshMargin
  };
  enum ValveProperty : size_t { kOpening, kValveFlow, kValveDp };
  enum TankProperty : size_t { kLevel, kInflow, kOutflow };

  static Result<std::unique_ptr<PumpCircuit>> create(const CircuitTwins& twins,
                                                     const CircuitParams& params,
                                                     const CircuitInitial& initial);
  std::unique_ptr<Unit> clone() const override { return std::make_unique<PumpCircuit>(*this); }

  void compute(double t) override;
  void advance(double dt) override;
  bool accepts_fault(size_t port, FaultKind kind) const override;
  void set_fault(size_t port, FaultKind kind, double severity) override;
  Status set_state(size_t port, std::string_view property, double value) override;

  const CircuitParams& params() const { return params_; }
  const PumpCurve& curve() const { return curve_; }
  // The last operating point: flow (m³/s) and how many solver iterations it took.
  double flow() const { return q_; }
  int last_iterations() const { return iterations_; }
  // System head (m) at flow q for the current level and valve opening.
  double system_head(double q) const;
  // Pump head (m) at flow q and the current speed, derated by cavitation.
  double pump_head(double q) const;
  double npsh_available(double q) const;

  PumpCircuit(const PumpCircuit&) = default;

 protected:
  std::vector<NumberRef> setpoints(size_t port) override;
  std::vector<NumberRef> parameters(size_t port) override;
  Status parameters_changed() override;

 private:
  PumpCircuit() = default;
  double cavitation(double q, double s) const;
  double speed_ratio() const { return speed_rpm_ / params_.pump.rated_speed_rpm; }
  double effective_opening() const;

  CircuitParams params_;
  PumpCurve curve_;
  // Setpoints.
  double target_rpm_ = 0, running_ = 1, opening_pct_ = 0, demand_m3h_ = 0;
  // State.
  double speed_rpm_ = 0, motor_temp_c_ = 0, level_m_ = 0;
  // Process faults (current severity).
  double closure_ = 0, clog_ = 0, wear_ = 0, leak_ = 0;
  // Last compute.
  double q_ = 0, outflow_ = 0, loss_w_ = 0;
  int iterations_ = 0;
};

}  // namespace iotwins::simulation
