// iotwins simulate --plant FILE --broker URL: the simulated plant as MQTT devices.
#include <cstdio>
#include <stop_token>
#include <thread>

#include "cli/command.h"
#include "cli/simulate.h"
#include "core/signals.h"
#include "simulation/fault.h"
#include "simulation/simulator.h"

namespace iotwins::cli {

int run_simulate(std::span<const std::string> args) {
  if (!args.empty() && args[0] == "scenario") return run_simulate_scenario(args.subspan(1));
  if (!args.empty() && args[0] == "compare") return run_simulate_compare(args.subspan(1));
  if (!args.empty() && args[0] == "hybrid") return run_simulate_hybrid(args.subspan(1));
  if (!args.empty() && args[0] == "inject") return run_simulate_inject(args.subspan(1));
  ConfigSpec spec("simulate",
                  "Runs a simulated plant (pumps, valves, tanks, HVAC, heat exchangers) as MQTT devices:\n"
                  "publishes iotwins/<twin>/telemetry, obeys iotwins/<twin>/desired/delta and reports back.\n"
                  "Also: iotwins simulate scenario (what-if runs and sweeps into the store), iotwins simulate\n"
                  "compare (a scenario against measured history), iotwins simulate hybrid (residuals of live data\n"
                  "against the model), iotwins simulate inject (faults into a running simulator); see their --help.");
  spec.add_common();
  spec.add({.name = "plant", .default_value = "examples/plant.yaml", .help = "plant description (YAML)"});
  spec.add({.name = "broker", .default_value = "mqtt://127.0.0.1:1883", .help = "MQTT broker URL"});
  spec.add({.name = "speed", .default_value = "1", .help = "simulated seconds per wall second (0: as fast as possible)"});
  spec.add({.name = "duration", .type = ConfigType::duration, .default_value = "0",
            .help = "simulated time to run (0: until Ctrl-C)"});
  spec.add({.name = "seed", .type = ConfigType::integer, .default_value = "-1",
            .help = "random seed (-1: the plant file's); the same seed replays the same data", .min = -1});
  spec.add({.name = "noise", .type = ConfigType::boolean, .default_value = "true", .help = "sensor noise"});
  spec.add({.name = "fault", .type = ConfigType::list,
            .help = "extra faults, e.g. cavitation:pump-1,at=10m,ramp=5m,severity=0.8"});
  spec.add({.name = "qos", .type = ConfigType::integer, .default_value = "1", .help = "MQTT QoS", .min = 0, .max = 1});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const Config& c = p.command.config;
  simulation::SimulatorOptions o;
  o.plant_path = c.str("plant");
  o.broker_url = c.str("broker");
  try {
    o.speed = std::stod(c.str("speed"));
  } catch (const std::exception&) {
    std::fprintf(stderr, "iotwins simulate: invalid value '%s' for flag --speed (expected a number)\n",
                 c.str("speed").c_str());
    return 2;
  }
  if (o.speed < 0) {
    std::fprintf(stderr, "iotwins simulate: --speed must not be negative\n");
    return 2;
  }
  o.duration_s = static_cast<double>(c.duration("duration").count()) / 1000.0;
  if (c.integer("seed") >= 0) o.seed = static_cast<uint64_t>(c.integer("seed"));
  o.noise = c.boolean("noise");
  o.qos = static_cast<int>(c.integer("qos"));
  for (const auto& text : c.list("fault")) {
    auto f = simulation::parse_fault_text(text);
    if (!f) {
      std::fprintf(stderr, "iotwins simulate: --fault %s: %s\n", text.c_str(), f.error().message().c_str());
      return 2;
    }
    o.faults.push_back(*f);
  }
  Status result;
  run_until_interrupted([&](std::stop_token stop) {
    o.stop = stop;
    result = simulation::run_simulator(o);
  });
  if (!result) {
    std::fprintf(stderr, "iotwins simulate: %s\n", result.error().message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace iotwins::cli
