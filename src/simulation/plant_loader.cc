#include "simulation/plant_loader.h"

#include <algorithm>
#include <filesystem>

#include "simulation/circuit.h"
#include "simulation/heat_exchanger.h"
#include "simulation/hvac_zone.h"

namespace iotwins::simulation {
namespace {

Status num(const YamlMap& m, std::string_view key, Bounds bounds, double& field) {
  IOT_ASSIGN(field, m.number(key, bounds, field));
  return ok();
}

// An asset's mapping layered over its `params:` file, if it names one.
Result<YamlMap> with_params(const YamlMap& asset, const std::string& base_dir) {
  if (!asset.has("params")) return asset;
  IOT_ASSIGN(std::string file, asset.text("params"));
  const std::filesystem::path path = std::filesystem::path(file).is_absolute()
                                         ? std::filesystem::path(file)
                                         : std::filesystem::path(base_dir) / file;
  auto base = YamlMap::load_file(path.string());
  if (!base) return asset.error_at("params", base.error().message());
  return asset.layered_over(*base);
}

std::vector<std::string_view> allowed(std::initializer_list<std::string_view> own) {
  std::vector<std::string_view> out = {"twin", "params", "topic", "properties", "noise", "description"};
  out.insert(out.end(), own.begin(), own.end());
  return out;
}

// The identity of one asset (port `port` of `unit`) and its publishing choices.
Result<AssetSpec> read_asset(const YamlMap& m, const std::string& line, const Unit& unit, size_t port) {
  AssetSpec spec;
  spec.line = line;
  spec.where = m.where();
  IOT_ASSIGN(spec.topic, m.text("topic", ""));
  IOT_ASSIGN(spec.properties, m.strings("properties"));
  auto props = unit.properties(port);
  auto known = [&](std::string_view name) {
    return std::any_of(props.begin(), props.end(), [&](const PropertyInfo& p) { return p.name == name; });
  };
  std::string names;
  for (const auto& p : props) names += (names.empty() ? "" : ", ") + std::string(p.name);
  for (const auto& name : spec.properties) {
    if (!known(name)) {
      return m.error_at("properties", "unknown property '" + name + "' of a " +
                                          std::string(unit.kind(port)) + " (known: " + names + ")");
    }
  }
  IOT_ASSIGN(YamlMap noise, m.child("noise"));
  for (const auto& key : noise.keys()) {
    if (!known(key)) {
      return noise.error_at(key, "unknown property of a " + std::string(unit.kind(port)) +
                                     " (known: " + names + ")");
    }
    IOT_ASSIGN(double sigma, noise.number(key, Bounds::non_negative()));
    spec.noise.emplace(key, sigma);
  }
  return spec;
}

Status read_pump(const YamlMap& m, PumpParams& p, MotorParams& motor, SuctionParams& suction,
                 CircuitInitial& init) {
  IOT_TRY(m.only_keys(allowed({"rated_speed_rpm", "max_speed_rpm", "shutoff_head_m", "bep_flow_m3h",
                               "bep_head_m", "runout_flow_m3h", "bep_efficiency", "shutoff_power_kw",
                               "npshr_shutoff_m", "npshr_bep_m", "cavitation_head_loss",
                               "base_vibration_mm_s", "wear_vibration_gain",
                               "cavitation_vibration_mm_s", "bearing_loss_kw", "speed_ramp_rpm_s",
                               "motor", "suction", "speed_rpm", "running", "motor_temp_c"})));
  IOT_TRY(num(m, "rated_speed_rpm", Bounds::positive(), p.rated_speed_rpm));
  p.max_speed_rpm = std::max(p.max_speed_rpm, p.rated_speed_rpm);
  IOT_TRY(num(m, "max_speed_rpm", Bounds::positive(), p.max_speed_rpm));
  IOT_TRY(num(m, "shutoff_head_m", Bounds::positive(), p.shutoff_head_m));
  IOT_TRY(num(m, "bep_flow_m3h", Bounds::positive(), p.bep_flow_m3h));
  IOT_TRY(num(m, "bep_head_m", Bounds::positive(), p.bep_head_m));
  IOT_TRY(num(m, "runout_flow_m3h", Bounds::positive(), p.runout_flow_m3h));
  IOT_TRY(num(m, "bep_efficiency", {0.0, 1.0, true}, p.bep_efficiency));
  IOT_TRY(num(m, "shutoff_power_kw", Bounds::non_negative(), p.shutoff_power_kw));
  IOT_TRY(num(m, "npshr_shutoff_m", Bounds::non_negative(), p.npshr_shutoff_m));
  IOT_TRY(num(m, "npshr_bep_m", Bounds::non_negative(), p.npshr_bep_m));
  IOT_TRY(num(m, "cavitation_head_loss", Bounds::fraction(), p.cavitation_head_loss));
  IOT_TRY(num(m, "base_vibration_mm_s", Bounds::non_negative(), p.base_vibration_mm_s));
  IOT_TRY(num(m, "wear_vibration_gain", Bounds::non_negative(), p.wear_vibration_gain));
  IOT_TRY(num(m, "cavitation_vibration_mm_s", Bounds::non_negative(), p.cavitation_vibration_mm_s));
  IOT_TRY(num(m, "bearing_loss_kw", Bounds::non_negative(), p.bearing_loss_kw));
  IOT_TRY(num(m, "speed_ramp_rpm_s", Bounds::positive(), p.speed_ramp_rpm_s));
  if (p.max_speed_rpm < p.rated_speed_rpm) {
    return m.error_at("max_speed_rpm", "must be >= rated_speed_rpm");
  }

  IOT_ASSIGN(YamlMap mm, m.child("motor"));
  IOT_TRY(mm.only_keys({"rated_power_kw", "voltage_v", "power_factor", "efficiency", "ambient_c",
                        "thermal_resistance_k_per_kw", "thermal_time_constant_s"}));
  IOT_TRY(num(mm, "rated_power_kw", Bounds::positive(), motor.rated_power_kw));
  IOT_TRY(num(mm, "voltage_v", Bounds::positive(), motor.voltage_v));
  IOT_TRY(num(mm, "power_factor", {0.0, 1.0, true}, motor.power_factor));
  IOT_TRY(num(mm, "efficiency", {0.0, 1.0, true}, motor.efficiency));
  IOT_TRY(num(mm, "ambient_c", Bounds::range(-50.0, 80.0), motor.ambient_c));
  IOT_TRY(num(mm, "thermal_resistance_k_per_kw", Bounds::positive(), motor.thermal_resistance_k_per_kw));
  IOT_TRY(num(mm, "thermal_time_constant_s", Bounds::positive(), motor.thermal_time_constant_s));

  IOT_ASSIGN(YamlMap sm, m.child("suction"));
  IOT_TRY(sm.only_keys({"static_head_m", "loss_m_at_bep", "clog_loss_m_at_bep"}));
  IOT_TRY(num(sm, "static_head_m", Bounds::range(-10.0, 100.0), suction.static_head_m));
  IOT_TRY(num(sm, "loss_m_at_bep", Bounds::non_negative(), suction.loss_m_at_bep));
  IOT_TRY(num(sm, "clog_loss_m_at_bep", Bounds::non_negative(), suction.clog_loss_m_at_bep));

  IOT_TRY(num(m, "speed_rpm", Bounds::range(0.0, p.max_speed_rpm), init.speed_rpm));
  IOT_ASSIGN(init.running, m.flag("running", init.running));
  IOT_TRY(num(m, "motor_temp_c", Bounds::range(-50.0, 200.0), init.motor_temp_c));
  return ok();
}

Status read_pipe(const YamlMap& m, PipeParams& p) {
  IOT_TRY(m.only_keys({"length_m", "diameter_m", "roughness_mm", "friction_factor", "minor_loss_k", "description"}));
  IOT_TRY(num(m, "length_m", Bounds::positive(), p.length_m));
  IOT_TRY(num(m, "diameter_m", Bounds::positive(), p.diameter_m));
  double roughness_mm = p.roughness_m * 1e3;
  IOT_TRY(num(m, "roughness_mm", Bounds::non_negative(), roughness_mm));
  p.roughness_m = roughness_mm / 1e3;
  IOT_TRY(num(m, "friction_factor", Bounds::non_negative(), p.friction_factor));
  IOT_TRY(num(m, "minor_loss_k", Bounds::non_negative(), p.minor_loss_k));
  return ok();
}

Status read_valve(const YamlMap& m, ValveParams& v, CircuitInitial& init) {
  IOT_TRY(m.only_keys(allowed({"kv_max", "characteristic", "rangeability", "opening_pct"})));
  IOT_TRY(num(m, "kv_max", Bounds::positive(), v.kv_max));
  IOT_ASSIGN(std::string ch, m.choice("characteristic", {"linear", "equal_percentage", "quick_opening"},
                                      "equal_percentage"));
  parse_valve_characteristic(ch, v.characteristic);
  IOT_TRY(num(m, "rangeability", {1.0, 1e6, true}, v.rangeability));
  IOT_TRY(num(m, "opening_pct", Bounds::range(0.0, 100.0), init.opening_pct));
  return ok();
}

Status read_tank(const YamlMap& m, TankParams& t, CircuitInitial& init) {
  IOT_TRY(m.only_keys(allowed({"area_m2", "height_m", "bottom_elevation_m", "leak_area_m2", "level_m",
                               "demand_m3h"})));
  IOT_TRY(num(m, "area_m2", Bounds::positive(), t.area_m2));
  IOT_TRY(num(m, "height_m", Bounds::positive(), t.height_m));
  IOT_TRY(num(m, "bottom_elevation_m", Bounds::non_negative(), t.bottom_elevation_m));
  IOT_TRY(num(m, "leak_area_m2", Bounds::non_negative(), t.leak_area_m2));
  IOT_TRY(num(m, "level_m", Bounds::range(0.0, t.height_m), init.level_m));
  IOT_TRY(num(m, "demand_m3h", Bounds::non_negative(), init.demand_m3h));
  return ok();
}

Result<Fluid> read_fluid(const YamlMap& plant) {
  Fluid fluid;
  IOT_ASSIGN(YamlMap m, plant.child("fluid"));
  IOT_TRY(m.only_keys({"density_kg_m3", "viscosity_pa_s", "vapor_pressure_pa"}));
  IOT_TRY(num(m, "density_kg_m3", Bounds::positive(), fluid.density));
  IOT_TRY(num(m, "viscosity_pa_s", Bounds::positive(), fluid.viscosity));
  IOT_TRY(num(m, "vapor_pressure_pa", Bounds::non_negative(), fluid.vapor_pressure));
  return fluid;
}

Result<YamlMap> required_child(const YamlMap& m, std::string_view key, const std::string& base_dir) {
  if (!m.has(key)) {
    return make_error(Errc::invalid_argument, m.where() + ": missing key '" + std::string(key) + "'");
  }
  IOT_ASSIGN(YamlMap child, m.child(key));
  return with_params(child, base_dir);
}

Result<UnitSpec> read_circuit(const YamlMap& m, const std::string& line, const Fluid& fluid,
                              const std::string& base_dir) {
  IOT_TRY(m.only_keys({"id", "description", "pump", "pipe", "valve", "tank", "solver"}));
  CircuitParams params;
  params.fluid = fluid;
  CircuitInitial init;
  CircuitTwins twins;
  IOT_ASSIGN(YamlMap pump, required_child(m, "pump", base_dir));
  IOT_ASSIGN(YamlMap pipe, required_child(m, "pipe", base_dir));
  IOT_ASSIGN(YamlMap valve, required_child(m, "valve", base_dir));
  IOT_ASSIGN(YamlMap tank, required_child(m, "tank", base_dir));
  IOT_ASSIGN(twins.pump, pump.text("twin"));
  IOT_ASSIGN(twins.valve, valve.text("twin"));
  IOT_ASSIGN(twins.tank, tank.text("twin"));
  IOT_TRY(read_pump(pump, params.pump, params.motor, params.suction, init));
  IOT_TRY(read_pipe(pipe, params.pipe));
  IOT_TRY(read_valve(valve, params.valve, init));
  IOT_TRY(read_tank(tank, params.tank, init));
  IOT_ASSIGN(std::string solver, m.choice("solver", {"newton", "bisection"}, "newton"));
  params.solver = solver == "newton" ? SolverKind::newton : SolverKind::bisection;
  auto circuit = PumpCircuit::create(twins, params, init);
  if (!circuit) return make_error(Errc::invalid_argument, pump.where() + ": " + circuit.error().message());
  UnitSpec spec;
  spec.unit = std::move(*circuit);
  const YamlMap* maps[] = {&pump, &valve, &tank};
  for (size_t port = 0; port < 3; ++port) {
    IOT_ASSIGN(AssetSpec asset, read_asset(*maps[port], line, *spec.unit, port));
    spec.assets.push_back(std::move(asset));
  }
  return spec;
}

Result<UnitSpec> read_zone(const YamlMap& raw, const std::string& line, const std::string& base_dir) {
  IOT_ASSIGN(YamlMap m, with_params(raw, base_dir));
  IOT_TRY(m.only_keys(allowed({"resistance_k_per_kw", "capacitance_kj_per_k", "internal_gain_kw",
                               "outdoor_mean_c", "outdoor_amplitude_c", "outdoor_peak_hour", "start_hour",
                               "gain_kw_per_k", "heating_max_kw", "cooling_max_kw", "cop_heating",
                               "cop_cooling", "zone_temp_c", "setpoint_c", "enabled"})));
  HvacZoneParams p;
  HvacZoneInitial init;
  IOT_ASSIGN(std::string twin, m.text("twin"));
  IOT_TRY(num(m, "resistance_k_per_kw", Bounds::positive(), p.resistance_k_per_kw));
  IOT_TRY(num(m, "capacitance_kj_per_k", Bounds::positive(), p.capacitance_kj_per_k));
  IOT_TRY(num(m, "internal_gain_kw", Bounds::any(), p.internal_gain_kw));
  IOT_TRY(num(m, "outdoor_mean_c", Bounds::range(-60.0, 60.0), p.outdoor_mean_c));
  IOT_TRY(num(m, "outdoor_amplitude_c", Bounds::non_negative(), p.outdoor_amplitude_c));
  IOT_TRY(num(m, "outdoor_peak_hour", Bounds::range(0.0, 24.0), p.outdoor_peak_hour));
  IOT_TRY(num(m, "start_hour", Bounds::range(0.0, 24.0), p.start_hour));
  IOT_TRY(num(m, "gain_kw_per_k", Bounds::non_negative(), p.gain_kw_per_k));
  IOT_TRY(num(m, "heating_max_kw", Bounds::non_negative(), p.heating_max_kw));
  IOT_TRY(num(m, "cooling_max_kw", Bounds::non_negative(), p.cooling_max_kw));
  IOT_TRY(num(m, "cop_heating", Bounds::positive(), p.cop_heating));
  IOT_TRY(num(m, "cop_cooling", Bounds::positive(), p.cop_cooling));
  IOT_TRY(num(m, "zone_temp_c", Bounds::range(-50.0, 80.0), init.zone_temp_c));
  IOT_TRY(num(m, "setpoint_c", Bounds::range(5.0, 35.0), init.setpoint_c));
  IOT_ASSIGN(init.enabled, m.flag("enabled", init.enabled));
  IOT_ASSIGN(auto zone, HvacZone::create(twin, p, init));
  UnitSpec spec;
  spec.unit = std::move(zone);
  IOT_ASSIGN(AssetSpec asset, read_asset(m, line, *spec.unit, 0));
  spec.assets.push_back(std::move(asset));
  return spec;
}

Result<UnitSpec> read_exchanger(const YamlMap& raw, const std::string& line, const std::string& base_dir) {
  IOT_ASSIGN(YamlMap m, with_params(raw, base_dir));
  IOT_TRY(m.only_keys(allowed({"ua_kw_per_k", "hot_cp_kj_per_kg_k", "cold_cp_kj_per_kg_k", "cold_in_c",
                               "time_constant_s", "fouling_ua_loss", "hot_flow_kg_s", "cold_flow_kg_s",
                               "hot_in_c"})));
  HeatExchangerParams p;
  HeatExchangerInitial init;
  IOT_ASSIGN(std::string twin, m.text("twin"));
  IOT_TRY(num(m, "ua_kw_per_k", Bounds::positive(), p.ua_kw_per_k));
  IOT_TRY(num(m, "hot_cp_kj_per_kg_k", Bounds::positive(), p.hot_cp_kj_per_kg_k));
  IOT_TRY(num(m, "cold_cp_kj_per_kg_k", Bounds::positive(), p.cold_cp_kj_per_kg_k));
  IOT_TRY(num(m, "cold_in_c", Bounds::range(-20.0, 100.0), p.cold_in_c));
  IOT_TRY(num(m, "time_constant_s", Bounds::positive(), p.time_constant_s));
  IOT_TRY(num(m, "fouling_ua_loss", Bounds::fraction(), p.fouling_ua_loss));
  IOT_TRY(num(m, "hot_flow_kg_s", Bounds::range(0.0, 1000.0), init.hot_flow_kg_s));
  IOT_TRY(num(m, "cold_flow_kg_s", Bounds::range(0.0, 1000.0), init.cold_flow_kg_s));
  IOT_TRY(num(m, "hot_in_c", Bounds::range(0.0, 200.0), init.hot_in_c));
  IOT_ASSIGN(auto exchanger, HeatExchanger::create(twin, p, init));
  UnitSpec spec;
  spec.unit = std::move(exchanger);
  IOT_ASSIGN(AssetSpec asset, read_asset(m, line, *spec.unit, 0));
  spec.assets.push_back(std::move(asset));
  return spec;
}

}  // namespace

Result<PlantSpec> read_plant_spec(const YamlMap& root, const std::string& base_dir) {
  IOT_TRY(root.only_keys({"plant", "lines", "faults"}));
  PlantSpec spec;
  IOT_ASSIGN(YamlMap plant, root.child("plant"));
  IOT_TRY(plant.only_keys({"site", "seed", "step_s", "sample_period_s", "fluid", "description"}));
  IOT_ASSIGN(spec.site, plant.text("site", spec.site));
  IOT_ASSIGN(double seed, plant.number("seed", Bounds::range(0.0, 9007199254740992.0), 1.0));
  if (seed != static_cast<double>(static_cast<uint64_t>(seed))) {
    return plant.error_at("seed", "must be a whole number");
  }
  spec.seed = static_cast<uint64_t>(seed);
  IOT_ASSIGN(spec.step_s, plant.seconds("step_s", Bounds::range(1e-3, 3600.0), 1.0));
  IOT_ASSIGN(spec.sample_period_s, plant.seconds("sample_period_s", Bounds::range(1e-3, 86400.0), spec.step_s));
  const double ratio = spec.sample_period_s / spec.step_s;
  if (std::abs(ratio - std::round(ratio)) > 1e-9 || std::round(ratio) < 1.0) {
    return plant.error_at("sample_period_s", "must be a whole multiple of step_s");
  }
  IOT_ASSIGN(Fluid fluid, read_fluid(plant));

  IOT_ASSIGN(auto lines, root.children("lines"));
  if (lines.empty()) return make_error(Errc::invalid_argument, root.where() + ": the plant has no 'lines'");
  for (const auto& line : lines) {
    IOT_TRY(line.only_keys({"id", "description", "circuits", "zones", "exchangers"}));
    IOT_ASSIGN(std::string id, line.text("id"));
    if (std::find(spec.lines.begin(), spec.lines.end(), id) != spec.lines.end()) {
      return line.error_at("id", "line '" + id + "' is defined twice");
    }
    spec.lines.push_back(id);
    IOT_ASSIGN(auto circuits, line.children("circuits"));
    for (const auto& c : circuits) {
      IOT_ASSIGN(UnitSpec unit, read_circuit(c, id, fluid, base_dir));
      spec.units.push_back(std::move(unit));
    }
    IOT_ASSIGN(auto zones, line.children("zones"));
    for (const auto& z : zones) {
      IOT_ASSIGN(UnitSpec unit, read_zone(z, id, base_dir));
      spec.units.push_back(std::move(unit));
    }
    IOT_ASSIGN(auto exchangers, line.children("exchangers"));
    for (const auto& x : exchangers) {
      IOT_ASSIGN(UnitSpec unit, read_exchanger(x, id, base_dir));
      spec.units.push_back(std::move(unit));
    }
  }
  IOT_ASSIGN(auto faults, root.children("faults"));
  for (const auto& f : faults) {
    IOT_ASSIGN(FaultSpec fault, parse_fault(f));
    spec.faults.push_back(FaultEntry{std::move(fault), f.where()});
  }
  return spec;
}

}  // namespace iotwins::simulation
