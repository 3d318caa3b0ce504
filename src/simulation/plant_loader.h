// Reading a plant description (examples/plant.yaml) into units and their assets. Only the
// YAML shape and each value's range are checked here; cross-references (unique twin ids,
// property names, faults naming known twins) are checked by Plant, which keeps each entry's
// YAML location for its errors.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "simulation/fault.h"
#include "simulation/unit.h"
#include "simulation/yaml_map.h"

namespace iotwins::simulation {

// What the plant file says about one asset (one port of a unit) beyond its physics.
struct AssetSpec {
  std::string line;
  std::string topic;                           // empty: iotwins/<twin>/telemetry
  std::vector<std::string> properties;         // published subset; empty: all
  std::map<std::string, double, std::less<>> noise;  // σ overrides per property
  std::string where;                           // file:line:col of the asset's mapping
};

struct UnitSpec {
  std::unique_ptr<Unit> unit;
  std::vector<AssetSpec> assets;  // one per port
};

struct FaultEntry {
  FaultSpec spec;
  std::string where;
};

struct PlantSpec {
  std::string site = "site";
  uint64_t seed = 1;
  double step_s = 1.0;
  double sample_period_s = 1.0;
  std::vector<std::string> lines;
  std::vector<UnitSpec> units;
  std::vector<FaultEntry> faults;
};

// `base_dir` resolves the `params:` files named by assets.
Result<PlantSpec> read_plant_spec(const YamlMap& root, const std::string& base_dir);

}  // namespace iotwins::simulation
