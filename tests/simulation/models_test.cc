// The physical models against closed-form results computed here, independently of the code
// under test: catalogue points, affinity laws, the operating point of a quadratic system,
// first-order thermal responses, Torricelli draining, ε-NTU and friction factors.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "simulation/heat_exchanger.h"
#include "simulation/hydraulics.h"
#include "simulation/pump.h"
#include "simulation/solver.h"

namespace iotwins::simulation {
namespace {

constexpr double kH = 3600.0;

PumpParams catalogue_pump() {
  PumpParams p;
  p.shutoff_head_m = 42;
  p.bep_flow_m3h = 60;
  p.bep_head_m = 34;
  p.runout_flow_m3h = 110;
  p.bep_efficiency = 0.76;
  p.shutoff_power_kw = 1.0;
  return p;
}

TEST(PumpCurve, PassesThroughTheCataloguePoints) {
  auto curve = PumpCurve::fit(catalogue_pump());
  ASSERT_TRUE(curve) << curve.error().to_string();
  EXPECT_NEAR(curve->head(0.0, 1.0), 42.0, 1e-9);
  EXPECT_NEAR(curve->head(60 / kH, 1.0), 34.0, 1e-9);
  EXPECT_NEAR(curve->head(110 / kH, 1.0), 0.0, 1e-9);
  EXPECT_NEAR(curve->efficiency(60 / kH, 1.0), 0.76, 1e-12);
  EXPECT_NEAR(curve->runout_flow(0.5), 55 / kH, 1e-15);
}

TEST(PumpCurve, RejectsACurveThatIsNotConcave) {
  PumpParams p = catalogue_pump();
  p.bep_head_m = 10;  // below the straight line from shut-off to runout: convex
  auto curve = PumpCurve::fit(p);
  ASSERT_FALSE(curve);
  EXPECT_NE(curve.error().message().find("concave"), std::string::npos);
}

TEST(PumpCurve, AffinityLawsHoldAtHomologousPoints) {
  auto curve = *PumpCurve::fit(catalogue_pump());
  const Fluid water;
  for (double s : {0.5, 0.8, 1.1}) {
    for (double q1 : {10 / kH, 45 / kH, 90 / kH}) {
      const double q2 = s * q1;
      const double h1 = curve.head(q1, 1.0);
      const double h2 = curve.head(q2, s);
      EXPECT_NEAR(h2, s * s * h1, 1e-9) << "H ~ n^2 at s=" << s;
      EXPECT_NEAR(curve.efficiency(q2, s), curve.efficiency(q1, 1.0), 1e-12);
      const double p1 = curve.shaft_power(q1, h1, 1.0, 0.0, water);
      const double p2 = curve.shaft_power(q2, h2, s, 0.0, water);
      EXPECT_NEAR(p2 / p1, s * s * s, 1e-9) << "P ~ n^3 at s=" << s;
      EXPECT_NEAR(curve.npsh_required(q2, s), s * s * curve.npsh_required(q1, 1.0), 1e-9);
    }
  }
}

TEST(PumpCurve, ShaftPowerIsHydraulicPowerOverEfficiency) {
  auto curve = *PumpCurve::fit(catalogue_pump());
  const Fluid water;
  const double q = 60 / kH;
  const double expected = water.density * 9.80665 * q * 34.0 / 0.76 + 1000.0;
  EXPECT_NEAR(curve.shaft_power(q, 34.0, 1.0, 0.0, water), expected, 1e-6);
  // Bearing wear adds friction in proportion to speed.
  EXPECT_NEAR(curve.shaft_power(q, 34.0, 1.0, 0.5, water) - expected, 0.5 * 600.0, 1e-6);
}

TEST(Motor, CurrentFromThreePhasePower) {
  MotorParams m;
  m.voltage_v = 400;
  m.power_factor = 0.85;
  m.efficiency = 0.9;
  const double input = motor_input_power(9000.0, m);
  EXPECT_NEAR(input, 10000.0, 1e-9);
  EXPECT_NEAR(motor_current(input, m), 10000.0 / (std::sqrt(3.0) * 400 * 0.85), 1e-9);
}

TEST(Motor, WindingTemperatureIsAFirstOrderResponse) {
  MotorParams m;
  m.ambient_c = 25;
  m.thermal_resistance_k_per_kw = 50;
  m.thermal_time_constant_s = 600;
  const double loss_w = 800;  // steady rise 40 K
  double t = 25.0;
  for (int i = 0; i < 600; ++i) t = motor_winding_step(t, loss_w, 1.0, m);
  EXPECT_NEAR(t, 25.0 + 40.0 * (1.0 - std::exp(-1.0)), 1e-9);  // 63.2 % after one τ
  for (int i = 0; i < 600 * 9; ++i) t = motor_winding_step(t, loss_w, 1.0, m);
  EXPECT_NEAR(t, 65.0, 40.0 * std::exp(-10.0) + 1e-9);
}

TEST(Hydraulics, FrictionFactorLaminarAndTurbulent) {
  EXPECT_NEAR(friction_factor(1000.0, 1e-4), 64.0 / 1000.0, 1e-15);
  // Colebrook–White solved by fixed-point iteration as the reference; Swamee–Jain is an
  // explicit fit to it, within about 1.5 % over this range.
  for (double re : {1e4, 1e5, 1e6}) {
    for (double rr : {1e-5, 4.5e-4, 2e-3}) {
      double f = 0.02;
      for (int i = 0; i < 100; ++i) {
        const double x = -2.0 * std::log10(rr / 3.7 + 2.51 / (re * std::sqrt(f)));
        f = 1.0 / (x * x);
      }
      EXPECT_NEAR(friction_factor(re, rr), f, 0.015 * f) << "Re=" << re << " e/D=" << rr;
    }
  }
  // Continuous across the transition region.
  EXPECT_NEAR(friction_factor(2000.0, 1e-4), friction_factor(2000.0 + 1e-6, 1e-4), 1e-8);
  EXPECT_NEAR(friction_factor(4000.0 - 1e-6, 1e-4), friction_factor(4000.0, 1e-4), 1e-8);
}

TEST(Hydraulics, PipeLossIsDarcyWeisbach) {
  PipeParams pipe;
  pipe.length_m = 200;
  pipe.diameter_m = 0.1;
  pipe.friction_factor = 0.02;
  pipe.minor_loss_k = 3;
  const Fluid water;
  const double q = 0.015;
  const double v = q / (std::numbers::pi * 0.01 / 4);
  EXPECT_NEAR(pipe_head_loss(q, pipe, water), (0.02 * 2000 + 3) * v * v / (2 * 9.80665), 1e-12);
}

TEST(Hydraulics, ValveCharacteristicsAndKv) {
  ValveParams v;
  v.kv_max = 100;
  v.rangeability = 50;
  v.characteristic = ValveCharacteristic::equal_percentage;
  EXPECT_EQ(valve_kv(0.0, v), 0.0);
  EXPECT_NEAR(valve_kv(1.0, v), 100.0, 1e-12);
  EXPECT_NEAR(valve_kv(0.5, v), 100.0 / std::sqrt(50.0), 1e-12);
  v.characteristic = ValveCharacteristic::linear;
  EXPECT_NEAR(valve_kv(0.3, v), 30.0, 1e-12);
  v.characteristic = ValveCharacteristic::quick_opening;
  EXPECT_NEAR(valve_kv(0.25, v), 50.0, 1e-12);
  // Kv definition: 1 bar drop at Q = Kv m³/h for water (SG = 1).
  Fluid unit_density;
  unit_density.density = 1000.0;
  EXPECT_NEAR(valve_head_loss(40.0 / kH, 40.0, unit_density), 1e5 / (1000.0 * 9.80665), 1e-9);
  EXPECT_TRUE(std::isinf(valve_head_loss(0.01, 0.0, unit_density)));
}

TEST(Solver, FindsTheOperatingPointOfAQuadraticSystem) {
  auto curve = *PumpCurve::fit(catalogue_pump());
  // System: H = z + K·q².  Closed form: (K − a2)q² − a1·s·q − (a0·s² − z) = 0.
  const double z = 12.0;
  const double k = 30.0 / std::pow(50 / kH, 2);  // 30 m of losses at 50 m³/h
  for (double s : {0.7, 1.0}) {
    auto g = [&](double q, double& slope) {
      slope = curve.dhead_dq(q, s) - 2 * k * q;
      return curve.head(q, s) - (z + k * q * q);
    };
    // Coefficients recovered from three evaluations of the fitted curve.
    const double a0 = curve.head(0, 1);
    const double qa = 0.01, qb = 0.02;
    const double a2 = ((curve.head(qb, 1) - a0) / qb - (curve.head(qa, 1) - a0) / qa) / (qb - qa);
    const double a1 = (curve.head(qa, 1) - a0) / qa - a2 * qa;
    const double expected =
        (a1 * s + std::sqrt(a1 * a1 * s * s + 4 * (k - a2) * (a0 * s * s - z))) / (2 * (k - a2));
    for (auto kind : {SolverKind::newton, SolverKind::bisection}) {
      auto r = solve_root(g, 0.0, curve.runout_flow(s), kind);
      EXPECT_TRUE(r.converged);
      EXPECT_NEAR(r.q, expected, 1e-9) << "s=" << s;
    }
    auto newton = solve_root(g, 0.0, curve.runout_flow(s), SolverKind::newton);
    auto bisection = solve_root(g, 0.0, curve.runout_flow(s), SolverKind::bisection);
    EXPECT_LT(newton.iterations, bisection.iterations);
  }
}

TEST(Hydraulics, OrificeIsTorricelli) {
  EXPECT_NEAR(orifice_outflow(1e-3, 2.0), 0.62 * 1e-3 * std::sqrt(2 * 9.80665 * 2.0), 1e-15);
  EXPECT_EQ(orifice_outflow(1e-3, 0.0), 0.0);
}

TEST(HeatExchanger, CounterflowEffectiveness) {
  // ε for Cr = 0.5, NTU = 1 from the closed form, and the limits.
  const double e = std::exp(-0.5);
  EXPECT_NEAR(counterflow_effectiveness(1.0, 0.5), (1 - e) / (1 - 0.5 * e), 1e-12);
  EXPECT_NEAR(counterflow_effectiveness(2.0, 1.0), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(counterflow_effectiveness(3.0, 0.0), 1 - std::exp(-3.0), 1e-12);
  EXPECT_NEAR(counterflow_effectiveness(50.0, 0.5), 1.0, 1e-9);
  // Continuous at Cr → 1.
  EXPECT_NEAR(counterflow_effectiveness(2.0, 1.0 - 1e-7), 2.0 / 3.0, 1e-6);
}

}  // namespace
}  // namespace iotwins::simulation
