// What-if runs, parameter sweeps across threads, and comparison with measured series.
#include <gtest/gtest.h>

#include "simulation/scenario.h"
#include "test_plants.h"

namespace iotwins::simulation {
namespace {

using testing_plants::one_circuit;

Plant base_plant() {
  auto plant = Plant::parse(one_circuit(), "test.yaml", ".", PlantOptions{.noise = false});
  EXPECT_TRUE(plant) << plant.error().to_string();
  return std::move(*plant);
}

TEST(Scenario, WhatIfMatchesSteppingTheChangeByHand) {
  const Plant base = base_plant();
  ScenarioSpec spec;
  spec.name = "slow-pump";
  spec.duration_s = 7200;
  spec.sample_every_s = 60;
  spec.start_ns = 1'700'000'000'000'000'000;
  spec.setpoints.push_back({"pump-1", {{"speed_rpm", 2400}}, 600});
  spec.record = {{"pump-1", "flow_m3h"}, {"tank-1", "level_m"}};
  auto result = run_scenario(base, spec);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result->scenario, "slow-pump");
  ASSERT_EQ(result->series.size(), 2u);
  const Series& flow = *result->find("pump-1", "flow_m3h");
  ASSERT_EQ(flow.values.size(), 120u);
  EXPECT_EQ(flow.ts_ns.front(), spec.start_ns);
  EXPECT_EQ(flow.ts_ns[1] - flow.ts_ns[0], 60'000'000'000);

  // The same change stepped by hand on a copy.
  Plant hand = base;
  std::vector<double> expected;
  for (int i = 0; i < 7200; ++i) {
    if (i == 600) {
      ASSERT_TRUE(hand.apply_desired("pump-1", {{"speed_rpm", 2400}}));
    }
    hand.step();
    if (i % 60 == 0) expected.push_back(hand.truth(0)[1]);
  }
  EXPECT_EQ(flow.values, expected);
  EXPECT_LT(flow.values.back(), flow.values.front());
  // The base plant was not touched.
  EXPECT_EQ(base.steps(), 0u);
}

TEST(Scenario, RejectsBadInputBeforeRunning) {
  const Plant base = base_plant();
  ScenarioSpec spec;
  spec.name = "bad";
  spec.duration_s = 1e9;  // would take long if it ran
  spec.parameters.push_back({"pump-1", "pump.colour", 1});
  auto r = run_scenario(base, spec);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("scenario 'bad'"), std::string::npos);
  EXPECT_NE(r.error().message().find("unknown parameter 'pump.colour'"), std::string::npos);
  spec.parameters.clear();
  spec.setpoints.push_back({"valve-1", {{"opening_pct", 140}}, 3600});
  EXPECT_FALSE(run_scenario(base, spec));
  spec.setpoints.clear();
  spec.sample_every_s = 1.5;
  EXPECT_FALSE(run_scenario(base, spec));
  spec.sample_every_s = 0;
  spec.record = {{"pump-1", "torque"}};
  EXPECT_FALSE(run_scenario(base, spec));
}

TEST(Scenario, CancelStopsTheRun) {
  std::atomic<bool> cancel{true};
  ScenarioSpec spec;
  spec.name = "cancelled";
  spec.duration_s = 1e9;
  auto r = run_scenario(base_plant(), spec, &cancel);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::cancelled);
}

TEST(Sweep, RunsEveryValueInOrderAndThreadsDoNotChangeResults) {
  const Plant base = base_plant();
  SweepSpec sweep;
  sweep.base.name = "pipe";
  sweep.base.duration_s = 1800;
  sweep.base.sample_every_s = 300;
  sweep.base.noise = true;  // seeded noise is deterministic too
  sweep.twin = "pump-1";
  sweep.key = "pipe.length_m";
  sweep.values = {50, 100, 200, 400, 800};
  sweep.threads = 2;
  auto two = run_sweep(base, sweep);
  ASSERT_TRUE(two) << two.error().to_string();
  sweep.threads = 1;
  auto one = run_sweep(base, sweep);
  ASSERT_TRUE(one);
  ASSERT_EQ(two->size(), 5u);
  EXPECT_EQ((*two)[2].scenario, "pipe/pump-1.pipe.length_m=200");
  double previous = 1e9;
  for (size_t i = 0; i < 5; ++i) {
    const Series& a = *(*two)[i].find("pump-1", "flow_m3h");
    const Series& b = *(*one)[i].find("pump-1", "flow_m3h");
    EXPECT_EQ(a.values, b.values);
    EXPECT_EQ(a.ts_ns, b.ts_ns);
    // A longer pipe means more friction, less flow.
    EXPECT_LT(a.values.front(), previous);
    previous = a.values.front();
  }
}

TEST(Sweep, OverSetpoints) {
  SweepSpec sweep;
  sweep.base.name = "valve";
  sweep.base.duration_s = 10;
  sweep.twin = "valve-1";
  sweep.key = "opening_pct";
  sweep.target = SweepTarget::setpoint;
  sweep.values = {20, 60, 100};
  auto runs = run_sweep(base_plant(), sweep);
  ASSERT_TRUE(runs) << runs.error().to_string();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*runs)[i].find("valve-1", "opening_pct")->values.back(), sweep.values[i]);
  }
  sweep.key = "opening";
  EXPECT_FALSE(run_sweep(base_plant(), sweep));
  sweep.key = "opening_pct";
  sweep.values.clear();
  EXPECT_FALSE(run_sweep(base_plant(), sweep));
}

TEST(Compare, InterpolatesMeasuredAtSimulatedTimes) {
  Series measured{"p", "x", {0, 10, 20}, {0.0, 10.0, 20.0}};
  Series simulated{"p", "x", {-5, 5, 15, 25}, {9.0, 4.0, 16.0, 9.0}};
  auto c = compare_series(simulated, measured);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->points, 2u);  // -5 and 25 are outside the measured range
  EXPECT_DOUBLE_EQ(c->mean_residual, 0.0);
  EXPECT_DOUBLE_EQ(c->rmse, 1.0);
  EXPECT_DOUBLE_EQ(c->max_abs, 1.0);
  Series unordered{"p", "x", {10, 0}, {1.0, 2.0}};
  EXPECT_FALSE(compare_series(simulated, unordered));
}

}  // namespace
}  // namespace iotwins::simulation
