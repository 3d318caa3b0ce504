// Centrifugal pump and its induction motor. The pump curve is a quadratic through three
// catalogue points at rated speed, scaled to any speed by the affinity laws; efficiency,
// NPSH required, power, motor current, winding temperature and vibration follow from it.
// Units: flow q in m³/s, head in m, power in W, speed as the ratio s = n / n_rated.
#pragma once

#include "core/result.h"
#include "simulation/hydraulics.h"

namespace iotwins::simulation {

struct PumpParams {
  double rated_speed_rpm = 2900.0;
  double max_speed_rpm = 3000.0;
  double shutoff_head_m = 40.0;      // H at Q = 0, rated speed
  double bep_flow_m3h = 60.0;        // best-efficiency point
  double bep_head_m = 32.0;
  double runout_flow_m3h = 110.0;    // Q where the head reaches 0
  double bep_efficiency = 0.78;
  double shutoff_power_kw = 2.0;     // disc friction and seal losses at rated speed (∝ s³)
  double npshr_shutoff_m = 1.5;      // NPSH required at Q = 0, rated speed
  double npshr_bep_m = 3.5;
  double cavitation_head_loss = 0.3; // head lost at full cavitation (fraction)
  double base_vibration_mm_s = 1.2;  // RMS velocity of a healthy pump at rated speed
  double wear_vibration_gain = 6.0;  // multiplier added at full bearing wear
  double cavitation_vibration_mm_s = 4.0;
  double bearing_loss_kw = 0.6;      // extra friction at full bearing wear, rated speed
  double speed_ramp_rpm_s = 300.0;   // drive acceleration limit
};

struct MotorParams {
  double rated_power_kw = 15.0;
  double voltage_v = 400.0;
  double power_factor = 0.86;
  double efficiency = 0.92;
  double ambient_c = 25.0;
  double thermal_resistance_k_per_kw = 40.0;  // winding rise per kW of loss at steady state
  double thermal_time_constant_s = 1200.0;
};

// H(q, s) = a0·s² + a1·s·q + a2·q², i.e. s²·H₀(q/s): the affinity laws hold by construction.
class PumpCurve {
 public:
  // Fits a0, a1, a2 through (0, H₀), (Q_bep, H_bep), (Q_runout, 0); rejects a curve that is
  // not concave or does not fall to 0 at runout.
  static Result<PumpCurve> fit(const PumpParams& params);

  double head(double q, double s) const { return a0_ * s * s + a1_ * s * q + a2_ * q * q; }
  double dhead_dq(double q, double s) const { return a1_ * s + 2.0 * a2_ * q; }
  // η(q, s) = η_bep·(2x − x²), x = q / (s·Q_bep): constant along an affinity parabola.
  double efficiency(double q, double s) const;
  // NPSHr(q, s) = s²·r0 + r2·q² (affinity-scaled quadratic).
  double npsh_required(double q, double s) const { return r0_ * s * s + r2_ * q * q; }
  double runout_flow(double s) const { return runout_ * s; }
  double bep_flow() const { return bep_flow_; }
  const PumpParams& params() const { return params_; }

  // Shaft power (W) at a duty point: ρgqH/η + P_shutoff·s³ (+ bearing friction ∝ s·wear).
  double shaft_power(double q, double head_m, double s, double bearing_wear,
                     const Fluid& fluid) const;
  // Vibration RMS (mm/s): v_base·s²·(1 + gain·wear) + v_cav·cavitation.
  double vibration(double s, double bearing_wear, double cavitation) const;

 private:
  PumpParams params_;
  double a0_ = 0, a1_ = 0, a2_ = 0;
  double r0_ = 0, r2_ = 0;
  double bep_flow_ = 0, runout_ = 0;
};

// Electrical input power (W) of the motor delivering `shaft_w`.
double motor_input_power(double shaft_w, const MotorParams& motor);
// Line current (A) of a three-phase motor: P / (√3·V·pf).
double motor_current(double input_w, const MotorParams& motor);
// Winding temperature after dt with loss held constant: the exact first-order response
// T → T_ss + (T − T_ss)·e^(−dt/τ), T_ss = T_amb + R_th·P_loss.
double motor_winding_step(double temp_c, double loss_w, double dt, const MotorParams& motor);

}  // namespace iotwins::simulation
