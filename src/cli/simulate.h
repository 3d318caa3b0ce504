// The verbs of `iotwins simulate` besides running the plant as MQTT devices.
#pragma once

#include <span>
#include <string>

namespace iotwins::cli {

int run_simulate_scenario(std::span<const std::string> args);  // what-if runs and sweeps → the store
int run_simulate_compare(std::span<const std::string> args);   // a scenario vs measured history
int run_simulate_inject(std::span<const std::string> args);    // faults into running simulators
int run_simulate_hybrid(std::span<const std::string> args);    // the model in lockstep with live data

}  // namespace iotwins::cli
