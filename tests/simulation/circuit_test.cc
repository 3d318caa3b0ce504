// The pump circuit and the HVAC zone stepped through a Plant with noise off, against
// closed-form results: consistent operating point, affinity laws through a friction-only
// system, first-order motor heating, Torricelli draining, fault effects, thermostat steady state.
#include <gtest/gtest.h>

#include <cmath>

#include "simulation/circuit.h"
#include "simulation/hvac_zone.h"
#include "simulation/plant.h"
#include "test_plants.h"

namespace iotwins::simulation {
namespace {

using testing_plants::one_circuit;

Plant load(const std::string& yaml) {
  auto plant = Plant::parse(yaml, "test.yaml", ".", PlantOptions{.noise = false});
  EXPECT_TRUE(plant) << plant.error().to_string();
  return std::move(*plant);
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

double value(const Plant& plant, const std::string& twin, const std::string& property) {
  const size_t t = *plant.find_twin(twin);
  return plant.truth(t)[*plant.find_property(t, property)];
}

// The system head at flow q from the reported level and valve drop and the pipe loss
// recomputed from the test plant's pipe.
double system_head(const Plant& plant, double q) {
  PipeParams pipe;
  pipe.length_m = 150;
  pipe.diameter_m = 0.1;
  pipe.roughness_m = 0.045e-3;
  pipe.minor_loss_k = 6;
  const Fluid water;
  return 12.0 + value(plant, "tank-1", "level_m") + pipe_head_loss(q, pipe, water) +
         value(plant, "valve-1", "dp_bar") * 1e5 / (water.density * kGravity);
}

const PumpCircuit& circuit_of(const Plant& plant) {
  return dynamic_cast<const PumpCircuit&>(plant.unit_of(0));
}

TEST(PumpCircuit, OperatingPointBalancesPumpAndSystemHead) {
  Plant plant = load(one_circuit());
  for (int i = 0; i < 100; ++i) plant.step();
  const double q = value(plant, "pump-1", "flow_m3h") / 3600;
  ASSERT_GT(q, 0.0);
  EXPECT_NEAR(value(plant, "pump-1", "head_m"), system_head(plant, q), 1e-8);
  // Discharge minus suction pressure is the pump head.
  const double dp = value(plant, "pump-1", "discharge_pressure_bar") - value(plant, "pump-1", "suction_pressure_bar");
  EXPECT_NEAR(dp * 1e5 / (998.2 * 9.80665), value(plant, "pump-1", "head_m"), 1e-9);
  // Current from the electrical power.
  EXPECT_NEAR(value(plant, "pump-1", "current_a"),
              value(plant, "pump-1", "power_kw") * 1e3 / (std::sqrt(3.0) * 400 * 0.86), 1e-9);
}

TEST(PumpCircuit, NewtonAndBisectionAgree) {
  Plant newton = load(one_circuit());
  Plant bisection = load(replace(one_circuit(), "      - id: c1\n", "      - id: c1\n        solver: bisection\n"));
  for (int i = 0; i < 50; ++i) {
    newton.step();
    bisection.step();
  }
  EXPECT_NEAR(circuit_of(newton).flow(), circuit_of(bisection).flow(), 1e-9);
  EXPECT_LT(circuit_of(newton).last_iterations(), circuit_of(bisection).last_iterations());
}

TEST(PumpCircuit, AffinityLawsThroughAFrictionOnlySystem) {
  // No static head and a fixed friction factor: the system curve is H = K·q², a parabola
  // through the origin, so Q ∝ n, H ∝ n², P ∝ n³ between two speeds.
  std::string yaml = replace(one_circuit(), "roughness_mm: 0.045", "friction_factor: 0.02");
  yaml = replace(yaml, "bottom_elevation_m: 12", "bottom_elevation_m: 0");
  yaml = replace(yaml, "level_m: 2\n", "level_m: 0\n");
  Plant full = load(yaml);
  Plant slow = load(replace(yaml, "          speed_rpm: 2900\n", "          speed_rpm: 1740\n"));
  full.step();
  slow.step();
  const double s = 1740.0 / 2900.0;
  EXPECT_NEAR(value(slow, "pump-1", "flow_m3h") / value(full, "pump-1", "flow_m3h"), s, 1e-9);
  EXPECT_NEAR(value(slow, "pump-1", "head_m") / value(full, "pump-1", "head_m"), s * s, 1e-9);
  EXPECT_NEAR(value(slow, "pump-1", "power_kw") / value(full, "pump-1", "power_kw"), s * s * s, 1e-9);
  EXPECT_NEAR(value(slow, "pump-1", "efficiency_pct"), value(full, "pump-1", "efficiency_pct"), 1e-9);
}

TEST(PumpCircuit, MotorWindingHeatsAsAFirstOrderSystem) {
  // A tank so large its level never moves keeps the duty point, hence the loss, constant.
  Plant plant = load(replace(one_circuit(), "area_m2: 12", "area_m2: 1e12"));
  plant.step();
  const double loss_kw = value(plant, "pump-1", "power_kw") * (1 - 0.92);
  const double rise = 60.0 * loss_kw;
  while (plant.time_s() <= 600.0) plant.step();  // the last sample is at t = 600 s = τ
  EXPECT_NEAR(value(plant, "pump-1", "motor_temp_c"), 25 + rise * (1 - std::exp(-1.0)), 1e-9);
  while (plant.time_s() <= 6000.0) plant.step();
  EXPECT_NEAR(value(plant, "pump-1", "motor_temp_c"), 25 + rise * (1 - std::exp(-10.0)), 1e-9);
}

TEST(PumpCircuit, TankDrainsThroughALeakAsTorricelli) {
  // Pump stopped, no demand, full leak: A·dh/dt = −Cd·a·√(2gh), so
  // √h(t) = √h0 − Cd·a·√(2g)·t / (2A).
  std::string yaml = one_circuit("          running: false\n", "",
                                 "faults:\n  - {kind: leak, twin: tank-1}\n");
  yaml = replace(yaml, "demand_m3h: 50", "demand_m3h: 0");
  Plant plant = load(yaml);
  while (plant.time_s() <= 3600.0) plant.step();
  const double k = 0.62 * 0.0005 * std::sqrt(2 * 9.80665) / (2 * 12.0);
  const double expected = std::pow(std::sqrt(2.0) - k * 3600.0, 2);
  // Explicit Euler with 1 s steps against the exact solution: well within a millimetre.
  EXPECT_NEAR(value(plant, "tank-1", "level_m"), expected, 1e-3);
  EXPECT_EQ(value(plant, "pump-1", "flow_m3h"), 0.0);
  EXPECT_EQ(value(plant, "pump-1", "current_a"), 0.0);
}

TEST(PumpCircuit, TankLevelIsTheIntegralOfInflowMinusOutflow) {
  Plant plant = load(one_circuit());
  const size_t tank = *plant.find_twin("tank-1");
  double level = 2.0;
  for (int i = 0; i < 1800; ++i) {
    plant.step();
    EXPECT_NEAR(plant.truth(tank)[0], level, 1e-9) << "step " << i;
    level += (plant.truth(tank)[1] - plant.truth(tank)[2]) / 3600.0 / 12.0;
  }
  // Filling raises the static head, so the flow falls toward the demand.
  EXPECT_GT(plant.truth(tank)[0], 2.0);
}

TEST(PumpCircuit, ValveClosureCutsTheFlow) {
  Plant plant = load(one_circuit("", "", "faults:\n  - {kind: valve_closure, twin: valve-1, at: 10, severity: 0.5}\n"));
  for (int i = 0; i < 10; ++i) plant.step();
  const double before = value(plant, "pump-1", "flow_m3h");
  EXPECT_NEAR(value(plant, "valve-1", "opening_pct"), 70.0, 1e-12);
  plant.step();
  EXPECT_NEAR(value(plant, "valve-1", "opening_pct"), 35.0, 1e-12);
  EXPECT_LT(value(plant, "pump-1", "flow_m3h"), 0.7 * before);
}

TEST(PumpCircuit, BearingWearRaisesVibrationAndFriction) {
  Plant healthy = load(one_circuit());
  Plant worn = load(one_circuit("", "", "faults:\n  - {kind: bearing_wear, twin: pump-1, severity: 0.5}\n"));
  healthy.step();
  worn.step();
  EXPECT_NEAR(value(healthy, "pump-1", "vibration_mm_s"), 1.2, 1e-12);
  EXPECT_NEAR(value(worn, "pump-1", "vibration_mm_s"), 1.2 * (1 + 6.0 * 0.5), 1e-12);
  EXPECT_NEAR(value(worn, "pump-1", "power_kw") - value(healthy, "pump-1", "power_kw"),
              0.5 * 0.6 / 0.92, 1e-9);
}

TEST(PumpCircuit, ClogSuctionCavitates) {
  const std::string harder = replace(one_circuit(), "clog_loss_m_at_bep: 10", "clog_loss_m_at_bep: 14");
  Plant healthy = load(harder);
  Plant clogged = load(harder + "faults:\n  - {kind: cavitation, twin: pump-1, ramp: 100}\n");
  for (int i = 0; i <= 100; ++i) {
    healthy.step();
    clogged.step();
  }
  EXPECT_GT(value(healthy, "pump-1", "npsh_margin_m"), 0.0);
  EXPECT_LT(value(clogged, "pump-1", "npsh_margin_m"), 0.0);
  // NPSH from the documented equations at the reported flow (s = 1, x = q/Q_bep).
  const double x = value(clogged, "pump-1", "flow_m3h") / 60.0;
  const double available = (101325.0 - 2339.0) / (998.2 * kGravity) + 2.0 - (0.3 + 14.0) * x * x;
  const double required = 1.5 + (3.5 - 1.5) * x * x;
  const double cavitation = (required - available) / required;
  ASSERT_GT(cavitation, 0.1);
  EXPECT_NEAR(value(clogged, "pump-1", "npsh_margin_m"), available - required, 1e-9);
  EXPECT_NEAR(value(clogged, "pump-1", "vibration_mm_s"), 1.2 + 4.0 * cavitation, 1e-9);
  EXPECT_LT(value(clogged, "pump-1", "flow_m3h"), value(healthy, "pump-1", "flow_m3h"));
  const double q = value(clogged, "pump-1", "flow_m3h") / 3600;
  EXPECT_NEAR(value(clogged, "pump-1", "head_m"), system_head(clogged, q), 1e-8);
}

TEST(PumpCircuit, SpeedFollowsTheSetpointAtTheRampRate) {
  Plant plant = load(replace(one_circuit(), "speed_ramp_rpm_s: 100000", "speed_ramp_rpm_s: 100"));
  plant.step();
  ASSERT_TRUE(plant.apply_desired("pump-1", {{"speed_rpm", 2000}}));
  for (int i = 0; i < 5; ++i) plant.step();
  EXPECT_NEAR(value(plant, "pump-1", "speed_rpm"), 2900 - 4 * 100, 1e-9);
  for (int i = 0; i < 10; ++i) plant.step();
  EXPECT_NEAR(value(plant, "pump-1", "speed_rpm"), 2000, 1e-9);
  ASSERT_TRUE(plant.apply_desired("pump-1", {{"running", false}}));
  for (int i = 0; i < 30; ++i) plant.step();
  EXPECT_EQ(value(plant, "pump-1", "speed_rpm"), 0.0);
  EXPECT_EQ(value(plant, "pump-1", "flow_m3h"), 0.0);
}

TEST(HvacZone, FreeResponseIsExponential) {
  // Heating off, no internal gain, constant outdoor: T = T_out + (T0 − T_out)·e^(−t/RC).
  Plant plant = load(testing_plants::zone("        enabled: false\n"));
  ASSERT_TRUE(plant.set_parameter("zone-1", "internal_gain_kw", 0.0));
  const double tau = 2.0 * 3000.0;
  for (int i = 0; i <= 200; ++i) {
    plant.step();
    const double t = (plant.time_s() - 60.0);
    EXPECT_NEAR(value(plant, "zone-1", "zone_temp_c"), 5 + 10 * std::exp(-t / tau), 1e-9);
  }
}

TEST(HvacZone, ThermostatSettlesAtTheProportionalSteadyState) {
  // T_ss = (T_out/R + Q_int + K·T_set) / (1/R + K): the offset of a P controller.
  Plant plant = load(testing_plants::zone());
  for (int i = 0; i < 24 * 60 * 3; ++i) plant.step();
  const double expected = (5.0 / 2.0 + 1.5 + 3.0 * 21.0) / (0.5 + 3.0);
  EXPECT_NEAR(value(plant, "zone-1", "zone_temp_c"), expected, 1e-6);
  EXPECT_NEAR(value(plant, "zone-1", "thermal_power_kw"), 3.0 * (21.0 - expected), 1e-5);
  EXPECT_NEAR(value(plant, "zone-1", "power_kw"), 3.0 * (21.0 - expected) / 3.5, 1e-5);
}

}  // namespace
}  // namespace iotwins::simulation
