// iotwins simulate hybrid | inject: the simulation against a live broker — the hybrid twin's
// residuals, and faults injected into running simulators.
#include <cstdio>

#include "cli/client.h"
#include "cli/command.h"
#include "cli/simulate.h"
#include "simulation/hybrid_runner.h"
#include "simulation/mqtt_device.h"

namespace iotwins::cli {

int run_simulate_hybrid(std::span<const std::string> args) {
  ConfigSpec spec("simulate hybrid",
                  "Runs the plant model in lockstep with the live telemetry on a broker (the hybrid twin, at the\n"
                  "edge) and publishes the residuals measured − simulated as telemetry <property>_residual of the\n"
                  "same twins, so they reach the store and the detectors like any measurement.\n"
                  "Example: iotwins simulate hybrid --plant examples/plant.yaml --broker mqtt://127.0.0.1:1883",
                  "[flags]");
  spec.add_common();
  spec.add({.name = "plant", .default_value = "examples/plant.yaml", .help = "plant description (YAML)"});
  spec.add({.name = "broker", .default_value = "mqtt://127.0.0.1:1883", .help = "MQTT broker URL (the edge agent's)"});
  spec.add({.name = "duration", .type = ConfigType::duration, .default_value = "0",
            .help = "stop after this much measured time (0: until interrupted)"});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const Config& c = p.command.config;
  simulation::HybridRunnerOptions o;
  o.plant_path = c.str("plant");
  o.broker_url = c.str("broker");
  o.duration_s = static_cast<double>(c.duration("duration").count()) / 1000.0;
  Result<simulation::HybridRunStats> result = make_error(Errc::cancelled, "not run");
  run_until_interrupted([&](std::stop_token stop) {
    o.stop = stop;
    result = simulation::run_hybrid(o);
  });
  if (!result) return report("simulate hybrid", result.error());
  return 0;
}

int run_simulate_inject(std::span<const std::string> args) {
  ConfigSpec spec("simulate inject",
                  "Injects faults into the simulators running on a broker, now:\n"
                  "  iotwins simulate inject --broker mqtt://127.0.0.1:1883 valve_closure:valve-101,severity=0.9\n"
                  "Faults: kind:twin[:property][,ramp=30m][,until=2h][,severity=0.8][,offset=..][,rate_per_h=..] with kind\n"
                  "valve_closure, cavitation, bearing_wear, leak, fouling (process) or bias, drift, stuck (sensors, with :property).",
                  "FAULT... [flags]");
  spec.add_common();
  spec.positional("FAULT", "one or more faults");
  spec.add({.name = "broker", .default_value = "mqtt://127.0.0.1:1883", .help = "the simulators' MQTT broker"});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  if (p.command.positional.empty()) {
    std::fprintf(stderr, "iotwins simulate inject: give at least one fault (see --help)\n");
    return 2;
  }
  for (const auto& text : p.command.positional) {
    if (auto st = simulation::publish_fault(p.command.config.str("broker"), text); !st) {
      std::fprintf(stderr, "iotwins simulate inject: %s: %s\n", text.c_str(), st.error().message().c_str());
      return st.error().code() == Errc::invalid_argument ? 2 : 1;
    }
    std::printf("injected %s\n", text.c_str());
  }
  return 0;
}

}  // namespace iotwins::cli
