#include "simulation/plant.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "simulation/plant_loader.h"
#include "simulation/yaml_map.h"

namespace iotwins::simulation {

Plant::Plant() = default;
Plant::~Plant() = default;

Plant::Plant(const Plant& other)
    : site_(other.site_),
      lines_(other.lines_),
      seed_(other.seed_),
      noise_(other.noise_),
      step_s_(other.step_s_),
      steps_per_sample_(other.steps_per_sample_),
      steps_(other.steps_),
      epoch_ns_(other.epoch_ns_),
      sample_ts_ns_(other.sample_ts_ns_),
      twins_(other.twins_),
      faults_(other.faults_),
      fault_twin_(other.fault_twin_),
      fault_property_(other.fault_property_),
      slots_(other.slots_) {
  units_.reserve(other.units_.size());
  for (const auto& unit : other.units_) units_.push_back(unit->clone());
}

Plant& Plant::operator=(const Plant& other) {
  if (this != &other) *this = Plant(other);
  return *this;
}

Result<Plant> Plant::load(const std::string& path, const PlantOptions& options) {
  IOT_ASSIGN(YamlMap root, YamlMap::load_file(path));
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  IOT_ASSIGN(PlantSpec spec, read_plant_spec(root, base_dir.empty() ? "." : base_dir));
  return from_spec(std::move(spec), options);
}

Result<Plant> Plant::parse(std::string_view yaml, const std::string& name,
                           const std::string& base_dir, const PlantOptions& options) {
  IOT_ASSIGN(YamlMap root, YamlMap::parse(yaml, name));
  IOT_ASSIGN(PlantSpec spec, read_plant_spec(root, base_dir));
  return from_spec(std::move(spec), options);
}

Result<Plant> Plant::from_spec(PlantSpec spec, const PlantOptions& options) {
  Plant plant;
  plant.site_ = spec.site;
  plant.lines_ = spec.lines;
  plant.seed_ = options.seed.value_or(spec.seed);
  plant.noise_ = options.noise;
  plant.step_s_ = spec.step_s;
  plant.steps_per_sample_ = static_cast<uint64_t>(std::llround(spec.sample_period_s / spec.step_s));
  for (auto& unit_spec : spec.units) {
    const size_t unit_index = plant.units_.size();
    Unit& unit = *unit_spec.unit;
    for (size_t port = 0; port < unit.port_count(); ++port) {
      const AssetSpec& asset = unit_spec.assets[port];
      if (plant.find_twin(unit.twin(port))) {
        return make_error(Errc::invalid_argument,
                          asset.where + ": twin '" + unit.twin(port) + "' is defined twice");
      }
      Twin twin;
      twin.info.id = unit.twin(port);
      twin.info.kind = std::string(unit.kind(port));
      twin.info.line = asset.line;
      twin.info.topic = asset.topic.empty() ? "iotwins/" + twin.info.id + "/telemetry" : asset.topic;
      for (const auto& p : unit.properties(port)) {
        twin.info.properties.emplace_back(p.name);
        auto custom = asset.noise.find(p.name);
        twin.noise_abs.push_back(custom != asset.noise.end() ? custom->second : p.noise_abs);
        twin.noise_rel.push_back(custom != asset.noise.end() ? 0.0 : p.noise_rel);
      }
      for (size_t i = 0; i < twin.info.properties.size(); ++i) {
        const auto& names = asset.properties;
        if (names.empty() || std::find(names.begin(), names.end(), twin.info.properties[i]) != names.end()) {
          twin.info.published.push_back(i);
        }
      }
      const size_t n = twin.info.properties.size();
      twin.measured.assign(n, 0.0);
      twin.held.assign(n, 0.0);
      twin.is_held.assign(n, 0);
      twin.stuck_now.assign(n, 0);
      twin.rng = Rng::for_stream(plant.seed_, twin.info.id);
      twin.unit = unit_index;
      twin.port = port;
      plant.twins_.push_back(std::move(twin));
    }
    plant.units_.push_back(std::move(unit_spec.unit));
  }
  if (plant.twins_.empty()) return make_error(Errc::invalid_argument, "the plant has no assets");
  for (const auto& entry : spec.faults) {
    IOT_TRY(plant.check_fault(entry.spec, entry.where));
    IOT_TRY(plant.inject_fault(entry.spec));
  }
  return plant;
}

Result<size_t> Plant::find_twin(std::string_view id) const {
  for (size_t i = 0; i < twins_.size(); ++i) {
    if (twins_[i].info.id == id) return i;
  }
  return make_error(Errc::not_found, "no simulated twin '" + std::string(id) + "'");
}

Result<size_t> Plant::find_property(size_t twin, std::string_view property) const {
  const auto& names = twins_[twin].info.properties;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == property) return i;
  }
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  return make_error(Errc::not_found, twins_[twin].info.kind + " '" + twins_[twin].info.id +
                                         "' has no property '" + std::string(property) +
                                         "' (known: " + known + ")");
}

std::span<const double> Plant::truth(size_t twin) const {
  return units_[twins_[twin].unit]->values(twins_[twin].port);
}

const Unit& Plant::unit_of(size_t twin) const { return *units_[twins_[twin].unit]; }

Status Plant::check_fault(const FaultSpec& fault, const std::string& where) const {
  auto twin = find_twin(fault.twin);
  if (!twin) return make_error(Errc::invalid_argument, where + ": " + twin.error().message());
  const Twin& t = twins_[*twin];
  if (is_sensor_fault(fault.kind)) {
    auto property = find_property(*twin, fault.property);
    if (!property) return make_error(Errc::invalid_argument, where + ": " + property.error().message());
  } else if (!units_[t.unit]->accepts_fault(t.port, fault.kind)) {
    return make_error(Errc::invalid_argument, where + ": a " + t.info.kind + " (" + t.info.id +
                                                  ") cannot have a " +
                                                  std::string(fault_kind_name(fault.kind)) + " fault");
  }
  return ok();
}

Status Plant::inject_fault(const FaultSpec& fault) {
  IOT_TRY(check_fault(fault, "fault " + std::string(fault_kind_name(fault.kind)) + " on " + fault.twin));
  const size_t twin = *find_twin(fault.twin);
  FaultSpec spec = fault;
  // A fault injected at run time with a start in the past starts now, ramp and all.
  if (spec.at_s < time_s()) {
    const double shift = time_s() - spec.at_s;
    spec.at_s += shift;
    if (std::isfinite(spec.until_s)) spec.until_s += shift;
  }
  faults_.push_back(spec);
  fault_twin_.push_back(twin);
  fault_property_.push_back(is_sensor_fault(spec.kind) ? *find_property(twin, spec.property) : 0);
  if (!is_sensor_fault(spec.kind)) {
    const bool known = std::any_of(slots_.begin(), slots_.end(), [&](const FaultSlot& s) {
      return s.twin == twin && s.kind == spec.kind;
    });
    if (!known) slots_.push_back(FaultSlot{twin, spec.kind});
  }
  return ok();
}

void Plant::reseed(uint64_t seed) {
  seed_ = seed;
  for (auto& twin : twins_) twin.rng = Rng::for_stream(seed, twin.info.id);
}

void Plant::evaluate() {
  const double t = time_s();
  for (const auto& slot : slots_) {
    double severity = 0.0;
    for (size_t i = 0; i < faults_.size(); ++i) {
      if (fault_twin_[i] == slot.twin && faults_[i].kind == slot.kind) {
        severity = std::max(severity, faults_[i].severity * faults_[i].level(t));
      }
    }
    const Twin& twin = twins_[slot.twin];
    units_[twin.unit]->set_fault(twin.port, slot.kind, severity);
  }
  for (auto& unit : units_) unit->compute(t);
}

bool Plant::step() {
  const double t = time_s();
  evaluate();
  const bool sample = steps_ % steps_per_sample_ == 0;
  if (sample) {
    sample_ts_ns_ = epoch_ns_ + static_cast<int64_t>(std::llround(t * 1e9));
    for (auto& twin : twins_) measure(twin, t);
  }
  for (auto& unit : units_) unit->advance(step_s_);
  ++steps_;
  return sample;
}

void Plant::measure(Twin& twin, double t) {
  const auto truth = units_[twin.unit]->values(twin.port);
  for (size_t i = 0; i < truth.size(); ++i) {
    double v = truth[i];
    // The draw happens whatever the faults, so a fault never shifts the noise that follows.
    if (noise_) v += twin.rng.normal() * (twin.noise_abs[i] + twin.noise_rel[i] * std::abs(truth[i]));
    twin.measured[i] = v;
  }
  std::fill(twin.stuck_now.begin(), twin.stuck_now.end(), uint8_t{0});
  const size_t self = static_cast<size_t>(&twin - twins_.data());
  for (size_t f = 0; f < faults_.size(); ++f) {
    const FaultSpec& fault = faults_[f];
    if (fault_twin_[f] != self || !is_sensor_fault(fault.kind)) continue;
    const double level = fault.level(t);
    if (level <= 0.0) continue;
    const size_t p = fault_property_[f];
    switch (fault.kind) {
      case FaultKind::bias: twin.measured[p] += fault.magnitude * level; break;
      case FaultKind::drift: twin.measured[p] += fault.magnitude * (t - fault.at_s) / 3600.0; break;
      case FaultKind::stuck: twin.stuck_now[p] = 1; break;
      default: break;
    }
  }
  // A stuck sensor repeats the first reading it gave after it stuck, until it is freed.
  for (size_t i = 0; i < truth.size(); ++i) {
    if (!twin.stuck_now[i]) {
      twin.is_held[i] = 0;
      continue;
    }
    if (!twin.is_held[i]) {
      twin.held[i] = twin.measured[i];
      twin.is_held[i] = 1;
    }
    twin.measured[i] = twin.held[i];
  }
}

Status Plant::apply_desired(std::string_view twin_id, const nlohmann::json& state) {
  IOT_ASSIGN(size_t index, find_twin(twin_id));
  const Twin& twin = twins_[index];
  return units_[twin.unit]->apply_desired(twin.port, state);
}

Result<nlohmann::json> Plant::reported(std::string_view twin_id) const {
  IOT_ASSIGN(size_t index, find_twin(twin_id));
  const Twin& twin = twins_[index];
  return units_[twin.unit]->desired(twin.port);
}

Status Plant::set_parameter(std::string_view twin_id, std::string_view key, double value) {
  IOT_ASSIGN(size_t index, find_twin(twin_id));
  const Twin& twin = twins_[index];
  return units_[twin.unit]->set_parameter(twin.port, key, value);
}

Status Plant::set_state(std::string_view twin_id, std::string_view property, double value) {
  IOT_ASSIGN(size_t index, find_twin(twin_id));
  const Twin& twin = twins_[index];
  return units_[twin.unit]->set_state(twin.port, property, value);
}

}  // namespace iotwins::simulation
