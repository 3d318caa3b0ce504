// The device simulator behind `iotwins simulate`: loads a plant, connects to the broker as its
// devices, steps the plant in real time (or `speed` times faster), publishes each twin's
// telemetry to its topic, obeys desired deltas and reports the setpoints back.
#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "simulation/fault.h"
#include "simulation/plant.h"

namespace iotwins::simulation {

struct SimulatorOptions {
  std::string plant_path;
  std::string broker_url = "mqtt://127.0.0.1:1883";
  double speed = 1.0;        // simulated seconds per wall second; 0: as fast as possible
  double duration_s = 0.0;   // simulated seconds to run; 0: until stopped
  std::optional<uint64_t> seed;
  bool noise = true;
  std::vector<FaultSpec> faults;  // added to the plant file's schedule
  std::string client_id = "iotwins-simulator";
  int qos = 0;
  std::stop_token stop;
  const Clock* clock = nullptr;  // nullptr: the system clock
};

// Runs until the duration is simulated or `stop` is requested; errors only for what prevents a
// start (bad plant file, bad options, broker unreachable).
Status run_simulator(const SimulatorOptions& options);

// The telemetry payload of one twin's last sample: {"ts": <ms>, "<property>": <number>, ...}
// with the properties it publishes (6 significant digits; non-finite values are left out).
std::string telemetry_json(const Plant& plant, size_t twin);

}  // namespace iotwins::simulation
