// Plant: every simulated asset of a site, stepped together with a fixed step. Each asset is a
// twin with its telemetry properties, its MQTT topic and its sensors (seeded noise per twin,
// sensor faults); process faults follow their schedules. Not thread-safe: one thread steps a
// plant; copies are independent (scenario sweeps run copies in parallel).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "simulation/fault.h"
#include "simulation/rng.h"
#include "simulation/unit.h"

namespace iotwins::simulation {

struct PlantSpec;

struct PlantOptions {
  std::optional<uint64_t> seed;  // overrides the file's seed
  bool noise = true;             // false: sensors report the true values (plus sensor faults)
};

struct TwinInfo {
  std::string id;
  std::string kind;   // pump, valve, tank, hvac_zone, heat_exchanger
  std::string line;
  std::string topic;  // where its telemetry is published
  std::vector<std::string> properties;  // every property, in model order
  std::vector<size_t> published;        // indices of the properties it publishes
};

class Plant {
 public:
  static Result<Plant> load(const std::string& path, const PlantOptions& options = {});
  // `name` stands for the file in errors; `base_dir` resolves asset `params:` files.
  static Result<Plant> parse(std::string_view yaml, const std::string& name,
                             const std::string& base_dir, const PlantOptions& options = {});

  Plant(const Plant& other);
  Plant& operator=(const Plant& other);
  Plant(Plant&&) noexcept = default;
  Plant& operator=(Plant&&) noexcept = default;
  ~Plant();

  const std::string& site() const { return site_; }
  const std::vector<std::string>& lines() const { return lines_; }
  uint64_t seed() const { return seed_; }
  double step_s() const { return step_s_; }
  double sample_period_s() const { return step_s_ * static_cast<double>(steps_per_sample_); }
  // Wall-clock time (ns since the epoch) of simulated t = 0; telemetry is stamped from it.
  int64_t epoch_ns() const { return epoch_ns_; }
  void set_epoch_ns(int64_t ns) { epoch_ns_ = ns; }
  // Simulated seconds since the start, at the beginning of the next step.
  double time_s() const { return static_cast<double>(steps_) * step_s_; }
  uint64_t steps() const { return steps_; }

  // One step: faults at time t, outputs at t, sensors (when a sample is due), state to t+dt.
  // Returns true when the step produced a telemetry sample, stamped sample_ts_ns().
  bool step();
  int64_t sample_ts_ns() const { return sample_ts_ns_; }
  // Recomputes the outputs (truth) of the current state at time_s() without sampling or
  // advancing: the hybrid twin uses it after overwriting inputs from measurements.
  void evaluate();

  // Sensor noise on or off, and a new seed for every twin's noise stream.
  void set_noise(bool on) { noise_ = on; }
  bool noise() const { return noise_; }
  void reseed(uint64_t seed);

  size_t twin_count() const { return twins_.size(); }
  const TwinInfo& twin(size_t index) const { return twins_[index].info; }
  Result<size_t> find_twin(std::string_view id) const;
  Result<size_t> find_property(size_t twin, std::string_view property) const;
  // What the sensors reported at the last sample / the model's true values at the last step.
  std::span<const double> measured(size_t twin) const { return twins_[twin].measured; }
  std::span<const double> truth(size_t twin) const;

  // Setpoints from a desired state ({"speed_rpm": 2400}); all or nothing.
  Status apply_desired(std::string_view twin, const nlohmann::json& state);
  // The setpoints a device reports back.
  Result<nlohmann::json> reported(std::string_view twin) const;
  // Adds a fault (times in simulated seconds since the start; `at` in the past starts now).
  Status inject_fault(const FaultSpec& fault);
  const std::vector<FaultSpec>& faults() const { return faults_; }
  Status set_parameter(std::string_view twin, std::string_view key, double value);
  Status set_state(std::string_view twin, std::string_view property, double value);
  // The unit simulating a twin (tests and benchmarks read model internals through it).
  const Unit& unit_of(size_t twin) const;

 private:
  Plant();
  static Result<Plant> from_spec(PlantSpec spec, const PlantOptions& options);
  struct Twin {
    TwinInfo info;
    size_t unit = 0;
    size_t port = 0;
    std::vector<double> noise_abs, noise_rel;
    std::vector<double> measured;
    std::vector<double> held;       // value a stuck sensor repeats
    std::vector<uint8_t> is_held;
    std::vector<uint8_t> stuck_now;  // scratch of measure()
    Rng rng;
  };
  // A (twin, process fault kind) whose severity the plant pushes to the unit each step.
  struct FaultSlot {
    size_t twin;
    FaultKind kind;
  };
  Status check_fault(const FaultSpec& fault, const std::string& where) const;
  void measure(Twin& twin, double t);

  std::string site_;
  std::vector<std::string> lines_;
  uint64_t seed_ = 1;
  bool noise_ = true;
  double step_s_ = 1.0;
  uint64_t steps_per_sample_ = 1;
  uint64_t steps_ = 0;
  int64_t epoch_ns_ = 0;
  int64_t sample_ts_ns_ = 0;
  std::vector<std::unique_ptr<Unit>> units_;
  std::vector<Twin> twins_;
  std::vector<FaultSpec> faults_;
  std::vector<size_t> fault_twin_;      // twin index of each fault
  std::vector<size_t> fault_property_;  // property index of each sensor fault
  std::vector<FaultSlot> slots_;
};

}  // namespace iotwins::simulation
