// The hybrid twin on live data: subscribes to the twins' telemetry on an (edge) broker, runs the
// plant model in lockstep with it (HybridTwin) and publishes the residuals (measured − simulated)
// back as telemetry of the same twins, `<property>_residual`, so they flow up the data plane like
// any measurement and the detectors can use them. Run by `iotwins simulate hybrid`.
#pragma once

#include <atomic>
#include <cstdint>
#include <stop_token>
#include <string>

#include "core/result.h"
#include "simulation/hybrid_twin.h"

namespace iotwins::simulation {

struct HybridRunnerOptions {
  std::string plant_path;
  std::string broker_url = "mqtt://127.0.0.1:1883";
  std::string client_id = "iotwins-hybrid";
  double duration_s = 0;  // 0: until stopped
  std::stop_token stop;
};

// Measured inputs and re-synchronised states for every twin of the plant, by kind: pumps are
// driven by their measured speed, valves by their opening, tanks by their outflow (levels
// re-synchronised), HVAC zones by their setpoint (zone temperature re-synchronised), exchangers by
// their inlet flows and temperature; motor temperatures are re-synchronised too.
HybridOptions default_hybrid_bindings(const Plant& plant);

struct HybridRunStats {
  uint64_t frames = 0;     // timestamps the model was stepped to
  uint64_t residuals = 0;  // residual values published
  uint64_t rejected = 0;   // messages refused (older timestamp, bad payload)
};

Result<HybridRunStats> run_hybrid(const HybridRunnerOptions& options);

}  // namespace iotwins::simulation
