// Plant: loading (the example plant and bad files with their locations), determinism by
// seed, sensor noise and sensor faults, setpoints and their echo, run-time fault injection.
#include <gtest/gtest.h>

#include <cmath>

#include "simulation/plant.h"
#include "test_plants.h"

namespace iotwins::simulation {
namespace {

using testing_plants::one_circuit;

const std::string kExample = std::string(IOTWINS_SOURCE_DIR) + "/examples/plant.yaml";

Plant load(const std::string& yaml, PlantOptions options = {.noise = false}) {
  auto plant = Plant::parse(yaml, "test.yaml", ".", options);
  EXPECT_TRUE(plant) << plant.error().to_string();
  return std::move(*plant);
}

std::string load_error(const std::string& yaml) {
  auto plant = Plant::parse(yaml, "test.yaml", ".");
  EXPECT_FALSE(plant);
  return plant ? "" : plant.error().message();
}

double measured(const Plant& plant, const std::string& twin, const std::string& property) {
  const size_t t = *plant.find_twin(twin);
  return plant.measured(t)[*plant.find_property(t, property)];
}

double truth(const Plant& plant, const std::string& twin, const std::string& property) {
  const size_t t = *plant.find_twin(twin);
  return plant.truth(t)[*plant.find_property(t, property)];
}

TEST(Plant, LoadsTheExamplePlant) {
  auto plant = Plant::load(kExample);
  ASSERT_TRUE(plant) << plant.error().to_string();
  EXPECT_EQ(plant->site(), "site-1");
  EXPECT_EQ(plant->lines(), (std::vector<std::string>{"line-1", "line-2"}));
  EXPECT_EQ(plant->twin_count(), 11u);  // 3 circuits × (pump, valve, tank) + zone + exchanger
  const TwinInfo& pump = plant->twin(*plant->find_twin("pump-102"));
  EXPECT_EQ(pump.kind, "pump");
  EXPECT_EQ(pump.line, "line-1");
  EXPECT_EQ(pump.topic, "iotwins/pump-102/telemetry");
  EXPECT_EQ(pump.published.size(), 7u);
  EXPECT_EQ(plant->twin(*plant->find_twin("hx-201")).line, "line-2");
  EXPECT_EQ(plant->faults().size(), 2u);
  for (int i = 0; i < 3600; ++i) plant->step();
  // After an hour every circuit runs at a sensible duty point.
  for (const char* id : {"pump-101", "pump-102", "pump-201"}) {
    EXPECT_GT(truth(*plant, id, "flow_m3h"), 20.0) << id;
    EXPECT_LT(truth(*plant, id, "flow_m3h"), 100.0) << id;
    EXPECT_GT(truth(*plant, id, "motor_temp_c"), 30.0) << id;
  }
}

TEST(Plant, SameSeedSameSeriesOtherSeedOtherNoise) {
  auto run = [](uint64_t seed) {
    Plant plant = *Plant::load(kExample, {.seed = seed});
    std::vector<double> out;
    for (int i = 0; i < 500; ++i) {
      plant.step();
      for (size_t t = 0; t < plant.twin_count(); ++t) {
        for (double v : plant.measured(t)) out.push_back(v);
      }
    }
    return out;
  };
  const auto a = run(11);
  const auto b = run(11);
  const auto c = run(12);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(double)));  // bit for bit
  EXPECT_NE(a, c);
}

TEST(Plant, NoiseHasTheConfiguredSigmaAndNoBias) {
  Plant plant = load(one_circuit("          noise: {motor_temp_c: 0.5}\n"), {.noise = true});
  const int n = 20000;
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    plant.step();
    const double e = measured(plant, "pump-1", "motor_temp_c") - truth(plant, "pump-1", "motor_temp_c");
    sum += e;
    sum_sq += e * e;
  }
  const double mean = sum / n;
  const double sigma = std::sqrt(sum_sq / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 4 * 0.5 / std::sqrt(n));
  EXPECT_NEAR(sigma, 0.5, 0.02);
}

TEST(Plant, AddingAnAssetDoesNotChangeAnotherAssetsNoise) {
  Plant one = load(one_circuit(), {.noise = true});
  auto yaml = one_circuit() + "    zones:\n      - {twin: zone-9}\n";
  Plant two = load(yaml, {.noise = true});
  for (int i = 0; i < 100; ++i) {
    one.step();
    two.step();
    ASSERT_EQ(measured(one, "pump-1", "flow_m3h"), measured(two, "pump-1", "flow_m3h"));
  }
}

TEST(Plant, WithoutNoiseSensorsReportTheTruth) {
  Plant plant = load(one_circuit());
  plant.step();
  for (size_t t = 0; t < plant.twin_count(); ++t) {
    for (size_t i = 0; i < plant.measured(t).size(); ++i) EXPECT_EQ(plant.measured(t)[i], plant.truth(t)[i]);
  }
}

TEST(Plant, SensorFaultsBiasDriftAndStuck) {
  const std::string faults = R"(faults:
  - {kind: bias, twin: pump-1, property: discharge_pressure_bar, at: 10, offset: 0.4}
  - {kind: drift, twin: tank-1, property: level_m, at: 100, rate_per_h: 0.36}
  - {kind: stuck, twin: pump-1, property: flow_m3h, at: 50, until: 150}
)";
  Plant plant = load(one_circuit("", "", faults));
  double stuck_value = 0;
  for (int step = 0; step < 300; ++step) {
    plant.step();
    const double t = step;
    const double bias = measured(plant, "pump-1", "discharge_pressure_bar") -
                        truth(plant, "pump-1", "discharge_pressure_bar");
    EXPECT_NEAR(bias, t >= 10 ? 0.4 : 0.0, 1e-12) << t;
    const double drift = measured(plant, "tank-1", "level_m") - truth(plant, "tank-1", "level_m");
    EXPECT_NEAR(drift, t >= 100 ? 0.36 * (t - 100) / 3600 : 0.0, 1e-12) << t;
    const double flow = measured(plant, "pump-1", "flow_m3h");
    if (t == 50) stuck_value = flow;
    if (t >= 50 && t < 150) EXPECT_EQ(flow, stuck_value) << t;
    else EXPECT_EQ(flow, truth(plant, "pump-1", "flow_m3h")) << t;
  }
  // The level kept moving while its sensor was stuck.
  EXPECT_NE(truth(plant, "pump-1", "flow_m3h"), stuck_value);
}

TEST(Plant, SetpointsAreAppliedAndReported) {
  Plant plant = load(one_circuit());
  ASSERT_TRUE(plant.apply_desired("valve-1", {{"opening_pct", 40}}));
  ASSERT_TRUE(plant.apply_desired("tank-1", {{"demand_m3h", 20.5}}));
  plant.step();
  EXPECT_EQ(truth(plant, "valve-1", "opening_pct"), 40.0);
  EXPECT_EQ(truth(plant, "tank-1", "outflow_m3h"), 20.5);
  EXPECT_EQ(*plant.reported("valve-1"), (nlohmann::json{{"opening_pct", 40.0}}));
  EXPECT_EQ(*plant.reported("pump-1"), (nlohmann::json{{"speed_rpm", 2900.0}, {"running", true}}));
}

TEST(Plant, BadSetpointsChangeNothing) {
  Plant plant = load(one_circuit());
  auto unknown = plant.apply_desired("pump-1", {{"speed_rpm", 2000}, {"colour", "red"}});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message().find("unknown setpoint 'colour'"), std::string::npos);
  EXPECT_NE(unknown.error().message().find("pump pump-1"), std::string::npos);
  auto range = plant.apply_desired("pump-1", {{"speed_rpm", 5000}});
  ASSERT_FALSE(range);
  EXPECT_NE(range.error().message().find("[0, 3000]"), std::string::npos);
  auto type = plant.apply_desired("pump-1", {{"running", 1}});
  ASSERT_FALSE(type);
  EXPECT_NE(type.error().message().find("true or false"), std::string::npos);
  EXPECT_FALSE(plant.apply_desired("pump-1", nlohmann::json::array()));
  EXPECT_EQ(plant.apply_desired("nobody", {{"x", 1}}).error().code(), Errc::not_found);
  EXPECT_EQ(*plant.reported("pump-1"), (nlohmann::json{{"speed_rpm", 2900.0}, {"running", true}}));
}

TEST(Plant, FaultsInjectedAtRunTimeStartNow) {
  Plant plant = load(one_circuit());
  for (int i = 0; i < 100; ++i) plant.step();
  FaultSpec wear;
  wear.kind = FaultKind::bearing_wear;
  wear.twin = "pump-1";
  wear.severity = 1.0;
  wear.ramp_s = 10;
  ASSERT_TRUE(plant.inject_fault(wear));
  EXPECT_EQ(plant.faults().back().at_s, 100.0);
  for (int i = 0; i < 5; ++i) plant.step();
  EXPECT_NEAR(truth(plant, "pump-1", "vibration_mm_s"), 1.2 * (1 + 6.0 * 0.4), 1e-9);
  FaultSpec wrong = wear;
  wrong.kind = FaultKind::leak;
  auto st = plant.inject_fault(wrong);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("cannot have a leak fault"), std::string::npos);
}

TEST(Plant, ParametersCanBeChangedAndBadOnesAreRolledBack) {
  Plant plant = load(one_circuit());
  ASSERT_TRUE(plant.set_parameter("tank-1", "tank.area_m2", 24.0));
  auto st = plant.set_parameter("pump-1", "pump.runout_flow_m3h", 30.0);  // below the BEP flow
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("pump.runout_flow_m3h"), std::string::npos);
  plant.step();
  EXPECT_GT(truth(plant, "pump-1", "flow_m3h"), 30.0);  // the old curve is still in place
  EXPECT_FALSE(plant.set_parameter("pump-1", "no.such", 1.0));
}

TEST(Plant, CopiesAreIndependent) {
  Plant a = load(one_circuit());
  a.step();
  Plant b = a;
  ASSERT_TRUE(b.apply_desired("valve-1", {{"opening_pct", 20}}));
  for (int i = 0; i < 10; ++i) {
    a.step();
    b.step();
  }
  EXPECT_EQ(truth(a, "valve-1", "opening_pct"), 70.0);
  EXPECT_EQ(truth(b, "valve-1", "opening_pct"), 20.0);
}

TEST(PlantErrors, SayWhatAndWhere) {
  // A bad number: file, line and column of the value, and the key.
  std::string yaml = one_circuit();
  yaml.replace(yaml.find("area_m2: 12"), 11, "area_m2: -3");
  auto msg = load_error(yaml);
  EXPECT_NE(msg.find("test.yaml:31:20: key 'area_m2': must be > 0, got -3"), std::string::npos) << msg;

  yaml = one_circuit();
  yaml.replace(yaml.find("kv_max: 160"), 11, "kv_max: lots");
  msg = load_error(yaml);
  EXPECT_NE(msg.find("key 'kv_max': must be a number > 0, got lots"), std::string::npos) << msg;

  msg = load_error(one_circuit("          colour: red\n"));
  EXPECT_NE(msg.find("test.yaml:24:11: unknown key 'colour'"), std::string::npos) << msg;

  msg = load_error(one_circuit("          properties: [flow_m3h, torque]\n"));
  EXPECT_NE(msg.find("unknown property 'torque' of a pump"), std::string::npos) << msg;

  msg = load_error(one_circuit("", "", "faults:\n  - {kind: leak, twin: pump-9}\n"));
  EXPECT_NE(msg.find("test.yaml:38:5: no simulated twin 'pump-9'"), std::string::npos) << msg;

  msg = load_error(one_circuit("", "", "faults:\n  - {kind: wobble, twin: pump-1}\n"));
  EXPECT_NE(msg.find("unknown fault kind 'wobble'"), std::string::npos) << msg;

  msg = load_error(one_circuit("", "", "faults:\n  - {kind: drift, twin: pump-1, rate_per_h: 1}\n"));
  EXPECT_NE(msg.find("needs the 'property'"), std::string::npos) << msg;

  msg = load_error(one_circuit() + "    zones:\n      - {twin: pump-1}\n");
  EXPECT_NE(msg.find("twin 'pump-1' is defined twice"), std::string::npos) << msg;

  msg = load_error("plant: {step_s: 1}\nlines: [\n");
  EXPECT_NE(msg.find("test.yaml:3:"), std::string::npos) << msg;

  auto missing = Plant::load("/nonexistent/plant.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("/nonexistent/plant.yaml: cannot be read"), std::string::npos);

  msg = load_error(one_circuit("          params: no-such-file.yaml\n"));
  EXPECT_NE(msg.find("key 'params': ./no-such-file.yaml: cannot be read"), std::string::npos) << msg;
}

TEST(FaultText, ParsesTheCliForm) {
  auto f = parse_fault_text("bearing_wear:pump-101,at=1h,ramp=30m,severity=0.8");
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_EQ(f->kind, FaultKind::bearing_wear);
  EXPECT_EQ(f->twin, "pump-101");
  EXPECT_EQ(f->at_s, 3600.0);
  EXPECT_EQ(f->ramp_s, 1800.0);
  EXPECT_EQ(f->severity, 0.8);
  auto d = parse_fault_text("drift:tank-1:level_m,rate_per_h=0.05");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->property, "level_m");
  EXPECT_EQ(d->magnitude, 0.05);
  EXPECT_FALSE(parse_fault_text("bias:tank-1:level_m"));        // no offset
  EXPECT_FALSE(parse_fault_text("leak:tank-1,severity=2"));     // out of range
  EXPECT_FALSE(parse_fault_text("leak"));                       // no twin
  EXPECT_FALSE(parse_fault_text("leak:tank-1,at=soon"));
  EXPECT_FALSE(parse_fault_text("leak:tank-1:level_m"));        // process fault with a property
}

}  // namespace
}  // namespace iotwins::simulation
