// The hybrid twin against a "real" plant: zero residuals when model and reality agree, and
// residuals of the closed-form size when reality has a fault the model lacks.
#include <gtest/gtest.h>

#include <cmath>

#include "simulation/hybrid_twin.h"
#include "simulation/hybrid_runner.h"
#include "test_plants.h"

namespace iotwins::simulation {
namespace {

using testing_plants::one_circuit;

constexpr int64_t kStart = 1'700'000'000'000'000'000;

Plant load(const std::string& yaml) {
  auto plant = Plant::parse(yaml, "test.yaml", ".", PlantOptions{.noise = false});
  EXPECT_TRUE(plant) << plant.error().to_string();
  return std::move(*plant);
}

std::string slow_ramp(std::string yaml) {
  const std::string from = "speed_ramp_rpm_s: 100000";
  return yaml.replace(yaml.find(from), from.size(), "speed_ramp_rpm_s: 100");
}

// The frames a device set would publish for the plant's last sample.
std::vector<MeasuredFrame> frames_of(const Plant& plant) {
  std::vector<MeasuredFrame> frames;
  for (size_t t = 0; t < plant.twin_count(); ++t) {
    MeasuredFrame f{plant.twin(t).id, {}};
    for (size_t p : plant.twin(t).published) f.values.emplace_back(plant.twin(t).properties[p], plant.measured(t)[p]);
    frames.push_back(std::move(f));
  }
  return frames;
}

HybridOptions drive_inputs() {
  HybridOptions o;
  o.inputs = {{"pump-1", "speed_rpm"}, {"valve-1", "opening_pct"}, {"tank-1", "outflow_m3h"}};
  return o;
}

double residual_of(const std::vector<Residual>& rs, const std::string& twin, const std::string& property) {
  for (const auto& r : rs) {
    if (r.twin == twin && r.property == property) return r.residual;
  }
  ADD_FAILURE() << "no residual for " << twin << "." << property;
  return NAN;
}

TEST(HybridTwin, ResidualsAreZeroWhenTheModelMatchesReality) {
  Plant real = load(slow_ramp(one_circuit()));
  real.set_epoch_ns(kStart);
  auto twin = HybridTwin::create(load(one_circuit()), drive_inputs(), kStart);
  ASSERT_TRUE(twin) << twin.error().to_string();
  for (int i = 0; i < 900; ++i) {
    // Operators change the plant; the model only sees the measured speed and opening.
    if (i == 100) {
      ASSERT_TRUE(real.apply_desired("pump-1", {{"speed_rpm", 2200}}));
    }
    if (i == 400) {
      ASSERT_TRUE(real.apply_desired("valve-1", {{"opening_pct", 45}}));
    }
    if (i == 600) {
      ASSERT_TRUE(real.apply_desired("tank-1", {{"demand_m3h", 10}}));
    }
    ASSERT_TRUE(real.step());
    auto frames = frames_of(real);
    auto residuals = twin->update(real.sample_ts_ns(), frames);
    ASSERT_TRUE(residuals) << residuals.error().to_string();
    ASSERT_FALSE(residuals->empty());
    for (const auto& r : *residuals) {
      ASSERT_NEAR(r.residual, 0.0, 1e-9) << r.twin << "." << r.property << " at step " << i;
      EXPECT_EQ(r.ts_ns, real.sample_ts_ns());
    }
  }
  EXPECT_EQ(HybridTwin::residual_property("vibration_mm_s"), "vibration_mm_s_residual");
}

TEST(HybridTwin, BearingWearShowsInTheVibrationResidual) {
  Plant real = load(one_circuit("", "", "faults:\n  - {kind: bearing_wear, twin: pump-1, at: 300, severity: 0.4}\n"));
  real.set_epoch_ns(kStart);
  auto twin = HybridTwin::create(load(one_circuit()), drive_inputs(), kStart);
  ASSERT_TRUE(twin);
  for (int i = 0; i < 600; ++i) {
    real.step();
    auto frames = frames_of(real);
    auto rs = twin->update(real.sample_ts_ns(), frames);
    ASSERT_TRUE(rs);
    // v = v_base·s²·(1 + gain·wear): the residual is v_base·gain·wear at rated speed.
    EXPECT_NEAR(residual_of(*rs, "pump-1", "vibration_mm_s"), i < 300 ? 0.0 : 1.2 * 6.0 * 0.4, 1e-9) << i;
  }
}

TEST(HybridTwin, LeakShowsAsALevelResidualPerStepWhenTheLevelIsSynced) {
  // With the level re-synchronised every second, its residual is the volume lost in one step:
  // −Cd·a·√(2gh)·dt / A.
  Plant real = load(one_circuit("", "", "faults:\n  - {kind: leak, twin: tank-1, at: 100}\n"));
  real.set_epoch_ns(kStart);
  HybridOptions options = drive_inputs();
  options.sync = {{"tank-1", "level_m"}};
  auto twin = HybridTwin::create(load(one_circuit()), options, kStart);
  ASSERT_TRUE(twin);
  double previous_level = 2.0;
  for (int i = 0; i < 400; ++i) {
    real.step();
    auto frames = frames_of(real);
    auto rs = twin->update(real.sample_ts_ns(), frames);
    ASSERT_TRUE(rs);
    const double expected = i <= 100 ? 0.0 : -0.62 * 0.0005 * std::sqrt(2 * 9.80665 * previous_level) / 12.0;
    EXPECT_NEAR(residual_of(*rs, "tank-1", "level_m"), expected, 1e-9) << i;
    previous_level = real.truth(2)[0];
  }
}

TEST(HybridTwin, RejectsStaleFramesUnknownTwinsAndUnsettableInputs) {
  auto twin = HybridTwin::create(load(one_circuit()), drive_inputs(), kStart);
  ASSERT_TRUE(twin);
  std::vector<MeasuredFrame> frames = {{"pump-1", {{"flow_m3h", 50.0}, {"rssi_dbm", -70.0}}}};
  auto first = twin->update(kStart + 10'000'000'000, frames);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 1u);  // rssi_dbm is not modelled and is ignored
  EXPECT_EQ(twin->model_ts_ns(), kStart + 10'000'000'000);
  auto stale = twin->update(kStart + 5'000'000'000, frames);
  ASSERT_FALSE(stale);
  EXPECT_NE(stale.error().message().find("older than the model time"), std::string::npos);
  std::vector<MeasuredFrame> unknown = {{"pump-9", {{"flow_m3h", 1.0}}}};
  EXPECT_EQ(twin->update(kStart + 20'000'000'000, unknown).error().code(), Errc::not_found);
  EXPECT_EQ(twin->model_ts_ns(), kStart + 10'000'000'000);  // nothing changed

  HybridOptions bad;
  bad.inputs = {{"pump-1", "head_m"}};
  auto rejected = HybridTwin::create(load(one_circuit()), bad, kStart);
  ASSERT_FALSE(rejected);
  EXPECT_NE(rejected.error().message().find("cannot be set from a measurement"), std::string::npos);
}

}  // namespace
}  // namespace iotwins::simulation

namespace iotwins::simulation {
namespace {

TEST(HybridBindings, EveryAssetOfTheExamplePlantIsDrivenByItsMeasuredInputs) {
  auto plant = Plant::load(std::string(IOTWINS_SOURCE_DIR) + "/examples/plant.yaml");
  ASSERT_TRUE(plant) << plant.error().to_string();
  HybridOptions o = default_hybrid_bindings(*plant);
  auto has = [](const std::vector<HybridBinding>& v, const std::string& twin, const std::string& p) {
    return std::any_of(v.begin(), v.end(), [&](const HybridBinding& b) { return b.twin == twin && b.property == p; });
  };
  EXPECT_TRUE(has(o.inputs, "pump-101", "speed_rpm"));
  EXPECT_TRUE(has(o.inputs, "valve-201", "opening_pct"));
  EXPECT_TRUE(has(o.sync, "tank-102", "level_m"));
  EXPECT_TRUE(has(o.inputs, "hvac-101", "setpoint_c"));
  EXPECT_FALSE(has(o.inputs, "pump-101", "flow_m3h"));  // an output: it gets a residual
  // The bindings are accepted by the hybrid twin as they are.
  EXPECT_TRUE(HybridTwin::create(*plant, o, 1'700'000'000'000'000'000));
}

}  // namespace
}  // namespace iotwins::simulation
