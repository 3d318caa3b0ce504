// Scenarios: what-if runs of a plant (N simulated hours with changed setpoints, parameters or
// faults) and parameter sweeps spread over a bounded pool of threads. Results are in-memory
// series (twin, property, timestamps, values) under a scenario name, ready to be written to the
// time-series store and compared with measured history (compare_series).
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "simulation/fault.h"
#include "simulation/plant.h"

namespace iotwins::simulation {

struct SetpointChange {
  std::string twin;
  nlohmann::json state;  // {"speed_rpm": 2400}
  double at_s = 0.0;
};

struct ParameterChange {
  std::string twin;
  std::string key;  // e.g. "pipe.length_m"
  double value = 0.0;
};

struct SeriesKey {
  std::string twin;
  std::string property;
};

struct ScenarioSpec {
  std::string name;
  double duration_s = 86400.0;
  double sample_every_s = 0.0;  // 0: the plant's sample period; else a multiple of it
  bool noise = false;           // what-if answers are the model's expectation by default
  std::optional<uint64_t> seed;
  int64_t start_ns = 0;         // timestamp of simulated t = 0
  std::vector<SetpointChange> setpoints;
  std::vector<ParameterChange> parameters;
  std::vector<FaultSpec> faults;
  std::vector<SeriesKey> record;  // empty: every published property of every twin
};

struct Series {
  std::string twin;
  std::string property;
  std::vector<int64_t> ts_ns;
  std::vector<double> values;
};

struct ScenarioResult {
  std::string scenario;
  std::vector<Series> series;
  uint64_t steps = 0;
  const Series* find(std::string_view twin, std::string_view property) const;
};

// Runs a copy of `base` (the base plant is not touched). `cancel`, when set, stops the run
// with Errc::cancelled.
Result<ScenarioResult> run_scenario(const Plant& base, const ScenarioSpec& spec,
                                    const std::atomic<bool>* cancel = nullptr);

enum class SweepTarget { setpoint, parameter };

struct SweepSpec {
  ScenarioSpec base;  // every run starts from it; its name prefixes the runs' names
  std::string twin;
  std::string key;
  std::vector<double> values;
  SweepTarget target = SweepTarget::parameter;
  size_t threads = 2;  // bounded pool; never more threads than runs
};

// One run per value, named "<base>/<twin>.<key>=<value>", returned in the order of `values`
// whatever the thread count. The first failing run (in that order) is the error.
Result<std::vector<ScenarioResult>> run_sweep(const Plant& base, const SweepSpec& spec,
                                              const std::atomic<bool>* cancel = nullptr);

// Residual statistics of a simulated series against a measured one, the measured values
// linearly interpolated at the simulated timestamps inside their common time range.
struct Comparison {
  size_t points = 0;
  double mean_residual = 0.0;  // mean of measured − simulated
  double rmse = 0.0;
  double max_abs = 0.0;
};
Result<Comparison> compare_series(const Series& simulated, const Series& measured);

}  // namespace iotwins::simulation
