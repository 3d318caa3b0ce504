// Simulation throughput: simulated seconds per wall second for one pump circuit at 1 Hz
// output and for a 1,000-asset plant, and sweep throughput on 1 and 2 threads. The anchor is
// the same pump stepped with plain bisection instead of the safeguarded Newton solver, in the
// same run. Prints one JSON object as its last line.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "simulation/circuit.h"
#include "simulation/plant.h"
#include "simulation/scenario.h"

namespace sim = iotwins::simulation;

namespace {

std::string circuit_yaml(int i, const char* solver) {
  const std::string n = std::to_string(i);
  return "      - id: c" + n + "\n        solver: " + solver +
         "\n        pump: {twin: pump-" + n +
         ", rated_speed_rpm: 2900, shutoff_head_m: 42, bep_flow_m3h: 60, bep_head_m: 34,"
         " runout_flow_m3h: 110, bep_efficiency: 0.76, shutoff_power_kw: 1.0, speed_rpm: " +
         std::to_string(2500 + (i % 5) * 100) +
         "}\n        pipe: {length_m: " + std::to_string(100 + (i % 7) * 20) +
         ", diameter_m: 0.1, roughness_mm: 0.045, minor_loss_k: 6}"
         "\n        valve: {twin: valve-" + n + ", kv_max: 160, opening_pct: " + std::to_string(50 + i % 40) +
         "}\n        tank: {twin: tank-" + n +
         ", area_m2: 12, height_m: 5, bottom_elevation_m: 12, level_m: 2, demand_m3h: 45}\n";
}

// `circuits` pump circuits (3 assets each) and `zones` HVAC zones on one line.
sim::Plant make_plant(int circuits, int zones, const char* solver) {
  std::string yaml = "plant: {seed: 1, step_s: 1, sample_period_s: 1}\nlines:\n  - id: line-1\n    circuits:\n";
  for (int i = 0; i < circuits; ++i) yaml += circuit_yaml(i, solver);
  if (zones > 0) {
    yaml += "    zones:\n";
    for (int i = 0; i < zones; ++i) yaml += "      - {twin: zone-" + std::to_string(i) + "}\n";
  }
  auto plant = sim::Plant::parse(yaml, "bench.yaml", ".");
  if (!plant) {
    std::fprintf(stderr, "%s\n", plant.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(*plant);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Simulated seconds per wall second over `steps` steps (best of `repeats`), with telemetry
// sampled at 1 Hz and read out as a publisher would.
double sim_rate(const sim::Plant& base, uint64_t steps, int repeats) {
  double best = 0.0;
  for (int r = 0; r < repeats; ++r) {
    sim::Plant plant = base;
    double sink = 0.0;
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < steps; ++i) {
      if (plant.step()) {
        for (size_t t = 0; t < plant.twin_count(); ++t) sink += plant.measured(t)[0];
      }
    }
    const double wall = seconds_since(start);
    if (sink == 42.4242) std::printf("#");  // keeps the reads
    best = std::max(best, static_cast<double>(steps) * plant.step_s() / wall);
  }
  return best;
}

double mean_iterations(const sim::Plant& base, int steps) {
  sim::Plant plant = base;
  double total = 0;
  for (int i = 0; i < steps; ++i) {
    plant.step();
    total += dynamic_cast<const sim::PumpCircuit&>(plant.unit_of(0)).last_iterations();
  }
  return total / steps;
}

double sweep_rate(const sim::Plant& base, size_t threads, int runs, double duration_s) {
  sim::SweepSpec sweep;
  sweep.base.name = "bench";
  sweep.base.duration_s = duration_s;
  sweep.base.sample_every_s = 60;
  sweep.twin = "pump-0";
  sweep.key = "pipe.length_m";
  for (int i = 0; i < runs; ++i) sweep.values.push_back(50.0 + 10.0 * i);
  sweep.threads = threads;
  const auto start = std::chrono::steady_clock::now();
  auto result = sim::run_sweep(base, sweep);
  const double wall = seconds_since(start);
  if (!result) {
    std::fprintf(stderr, "%s\n", result.error().to_string().c_str());
    std::exit(1);
  }
  return runs / wall;
}

}  // namespace

// The machine is shared: the 1-minute load average tells whether 2 threads had 2 cores.
double load_average() {
  double load = -1.0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = -1.0;
    std::fclose(f);
  }
  return load;
}

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const uint64_t pump_steps = quick ? 200'000 : 2'000'000;
  const uint64_t fleet_steps = quick ? 300 : 3'000;
  const int repeats = quick ? 2 : 3;
  const int sweep_runs = quick ? 8 : 32;
  const double sweep_duration = quick ? 6 * 3600.0 : 24 * 3600.0;

  const sim::Plant pump = make_plant(1, 0, "newton");
  const sim::Plant pump_bisection = make_plant(1, 0, "bisection");
  const double pump_rate = sim_rate(pump, pump_steps, repeats);
  const double bisection_rate = sim_rate(pump_bisection, pump_steps, repeats);
  const double newton_iters = mean_iterations(pump, 1000);
  const double bisection_iters = mean_iterations(pump_bisection, 1000);

  const sim::Plant fleet = make_plant(333, 1, "newton");  // 999 pump-circuit assets + 1 zone
  const double fleet_rate = sim_rate(fleet, fleet_steps, repeats);

  const double sweep_1 = sweep_rate(pump, 1, sweep_runs, sweep_duration);
  const double sweep_2 = sweep_rate(pump, 2, sweep_runs, sweep_duration);

  std::printf("one pump circuit (3 assets), 1 Hz: %.0f simulated s per wall s (%.1f solver iterations/step)\n",
              pump_rate, newton_iters);
  std::printf("anchor, same pump with bisection: %.0f simulated s per wall s (%.1f iterations/step)\n",
              bisection_rate, bisection_iters);
  std::printf("1,000 assets, 1 Hz: %.0f simulated s per wall s\n", fleet_rate);
  std::printf("sweep of %d x %.0f h runs: %.2f runs/s on 1 thread, %.2f runs/s on 2 threads\n", sweep_runs,
              sweep_duration / 3600, sweep_1, sweep_2);
  std::printf(
      "{\"benchmark\":\"simulation\",\"quick\":%s,"
      "\"pump_sim_s_per_wall_s\":%.0f,\"pump_goal_sim_s_per_wall_s\":10000,\"pump_vs_goal\":%.2f,"
      "\"pump_solver_iterations\":%.2f,"
      "\"anchor_bisection_sim_s_per_wall_s\":%.0f,\"anchor_bisection_iterations\":%.2f,"
      "\"newton_vs_bisection\":%.2f,"
      "\"fleet_assets\":%zu,\"fleet_sim_s_per_wall_s\":%.1f,\"fleet_vs_realtime\":%.1f,"
      "\"sweep_runs\":%d,\"sweep_run_simulated_h\":%.0f,\"sweep_runs_per_s_1_thread\":%.3f,"
      "\"sweep_runs_per_s_2_threads\":%.3f,\"sweep_speedup_2_vs_1\":%.2f,\"load_avg_1m\":%.2f,"
      "\"units\":{\"rates\":\"simulated seconds per wall second\",\"sweep\":\"runs per wall second\"}}\n",
      quick ? "true" : "false", pump_rate, pump_rate / 10000.0, newton_iters, bisection_rate, bisection_iters,
      pump_rate / bisection_rate, fleet.twin_count(), fleet_rate, fleet_rate, sweep_runs, sweep_duration / 3600,
      sweep_1, sweep_2, sweep_2 / sweep_1, load_average());
  return 0;
}
