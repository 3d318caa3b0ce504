// iotwins.nodes.Task.Simulation: a run of the asset's physical model (src/simulation) over
// `horizon` at `step`, as fast as the machine goes, posted to the server as a scenario and
// summarised on the outputs; then the task ends, or runs again every `interval`.
#include <atomic>
#include <cmath>
#include <filesystem>

#include "simulation/scenario.h"
#include "tasks/builtin_support.h"
#include "tasks/builtins.h"
#include "tasks/http.h"

namespace iotwins::tasks {
namespace {

using nlohmann::json;
using Seconds = std::chrono::duration<double>;

constexpr double kMaxSteps = 20e6;          // one run's bound (24 h at 5 ms)
constexpr size_t kSamplesPerSeries = 10'000;  // recorded samples of one series in one run, at most
constexpr size_t kSamplesPerPost = 10'000;    // per POST, to stay well under the server's body limit

// The asset models, each a one-asset plant around the twin (parameters of examples/assets).
// "hydraulic-press" is the press's hydraulic power unit: a pump driving oil through a line, a
// valve and an accumulator tank.
constexpr const char* kPumpCircuit = R"(
lines:
  - id: line
    circuits:
      - id: circuit
        pump: {twin: "$TWIN", speed_rpm: 2900, rated_speed_rpm: 2900, max_speed_rpm: 3000, shutoff_head_m: 42,
               bep_flow_m3h: 60, bep_head_m: 34, runout_flow_m3h: 110, bep_efficiency: 0.76, shutoff_power_kw: 1.0,
               npshr_shutoff_m: 1.5, npshr_bep_m: 3.5, cavitation_head_loss: 0.3, base_vibration_mm_s: 1.1,
               wear_vibration_gain: 6.0, cavitation_vibration_mm_s: 4.0, bearing_loss_kw: 0.6, speed_ramp_rpm_s: 300,
               motor: {rated_power_kw: 11, voltage_v: 400, power_factor: 0.86, efficiency: 0.92, ambient_c: 25,
                       thermal_resistance_k_per_kw: 60, thermal_time_constant_s: 1500},
               suction: {static_head_m: 2.0, loss_m_at_bep: 0.3, clog_loss_m_at_bep: 10.0}}
        pipe: {length_m: 150, diameter_m: 0.1, roughness_mm: 0.045, minor_loss_k: 6}
        valve: {twin: "$TWIN-valve", kv_max: 160, characteristic: equal_percentage, rangeability: 50, opening_pct: 70}
        tank: {twin: "$TWIN-tank", area_m2: 12, height_m: 5, bottom_elevation_m: 12, leak_area_m2: 0.0005,
               level_m: 2.0, demand_m3h: 50}
)";
constexpr const char* kHvacZone = R"(
lines:
  - id: line
    zones:
      - {twin: "$TWIN", resistance_k_per_kw: 2.0, capacitance_kj_per_k: 20000, internal_gain_kw: 3.0, outdoor_mean_c: 8,
         outdoor_amplitude_c: 5, outdoor_peak_hour: 15, gain_kw_per_k: 4.0, heating_max_kw: 15, cooling_max_kw: 10,
         cop_heating: 3.5, cop_cooling: 3.0, setpoint_c: 21, zone_temp_c: 17}
)";
constexpr const char* kHeatExchanger = R"(
lines:
  - id: line
    exchangers:
      - {twin: "$TWIN", ua_kw_per_k: 12, hot_cp_kj_per_kg_k: 4.19, cold_cp_kj_per_kg_k: 4.18, cold_in_c: 12,
         time_constant_s: 60, fouling_ua_loss: 0.6, hot_flow_kg_s: 2.0, cold_flow_kg_s: 2.5, hot_in_c: 80}
)";

struct AssetModel {
  const char* name;
  const char* yaml;
};
constexpr AssetModel kModels[] = {{"hydraulic-press", kPumpCircuit},
                                  {"pump-circuit", kPumpCircuit},
                                  {"hvac-zone", kHvacZone},
                                  {"heat-exchanger", kHeatExchanger}};

std::string known_models() {
  std::string out;
  for (const auto& m : kModels) out += std::string(out.empty() ? "" : ", ") + m.name;
  return out + ", or the absolute path of a plant file";
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
  return text;
}

struct SimConfig {
  std::string model, twin;
  Seconds horizon{3600}, step{1};
  std::optional<Seconds> interval;
  uint64_t seed = 1;
};

// The plant of a config: a catalogue model around the twin, or a plant file.
Result<simulation::Plant> make_plant(const SimConfig& c) {
  if (c.model.starts_with("/")) return simulation::Plant::load(c.model, {.seed = c.seed});
  for (const auto& m : kModels) {
    if (c.model != m.name) continue;
    char head[160];
    std::snprintf(head, sizeof head, "plant: {site: simulated, seed: %llu, step_s: %.9g, sample_period_s: %.9g}\n",
                  static_cast<unsigned long long>(c.seed), c.step.count(), c.step.count());
    return simulation::Plant::parse(head + replace_all(m.yaml, "$TWIN", c.twin), c.model, "", {.seed = c.seed});
  }
  return make_error(Errc::invalid_argument, "unknown simulation model '" + c.model + "' (known: " + known_models() + ")");
}

class SimulationTask : public runtime::BuiltinTask {
 public:
  SimulationTask(runtime::BuiltinContext ctx, SimConfig config) : ctx_(std::move(ctx)), c_(std::move(config)), outputs_(ctx_) {}

  Status run(std::stop_token stop) override {
    IOT_ASSIGN(auto server, builtin::server_client(ctx_.node));
    while (true) {
      IOT_TRY(run_once(*server, stop));
      if (!c_.interval || stop.stop_requested()) return ok();
      auto next = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(*c_.interval);
      if (!builtin::sleep_until(stop, next)) return ok();
    }
  }

 private:
  Status run_once(api::HttpClient& server, std::stop_token stop) {
    IOT_ASSIGN(simulation::Plant plant, make_plant(c_));
    simulation::ScenarioSpec spec;
    spec.name = ctx_.task_id;  // task ids are [A-Za-z0-9._-], valid scenario names
    spec.duration_s = c_.horizon.count();
    spec.noise = true;
    spec.start_ns = builtin::now_ms() * 1'000'000;
    const double samples = c_.horizon.count() / plant.sample_period_s();
    spec.sample_every_s = plant.sample_period_s() * std::max(1.0, std::ceil(samples / kSamplesPerSeries));
    // The twin's own series (a plant file: every twin's).
    if (auto index = plant.find_twin(c_.twin)) {
      const auto& info = plant.twin(*index);
      for (size_t p : info.published) spec.record.push_back({c_.twin, info.properties[p]});
    }
    std::atomic<bool> cancel{false};
    std::stop_callback on_stop(stop, [&cancel] { cancel = true; });
    ctx_.log("simulating " + c_.model + " for " + builtin::seconds_text(c_.horizon.count()) + " at " +
             builtin::seconds_text(plant.step_s()) + ", a sample every " + builtin::seconds_text(spec.sample_every_s));
    const auto started = std::chrono::steady_clock::now();
    auto result = simulation::run_scenario(plant, spec, &cancel);
    if (!result && result.error().code() == Errc::cancelled) return ok();
    if (!result) return std::unexpected(std::move(result).error().context("simulation " + c_.model));
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    IOT_ASSIGN(size_t posted, post(server, *result, stop));
    if (stop.stop_requested()) return ok();
    json summary = {{"twin", c_.twin}, {"ts", builtin::now_ms()}, {"scenario", spec.name}, {"model", c_.model},
                    {"horizon_s", c_.horizon.count()}, {"steps", result->steps}, {"samples", posted}};
    for (const auto& s : result->series) {
      if (s.twin != c_.twin || s.values.empty()) continue;
      double sum = 0;
      for (double v : s.values) sum += v;
      summary[s.property] = sum / static_cast<double>(s.values.size());  // the run's mean
    }
    outputs_.publish(summary.dump());
    ctx_.log("scenario " + spec.name + ": " + std::to_string(result->series.size()) + " series, " + std::to_string(posted) +
             " samples posted; " + std::to_string(result->steps) + " steps in " + builtin::seconds_text(took) + " (" +
             std::to_string(static_cast<int64_t>(c_.horizon.count() / std::max(took, 1e-6))) + "x real time)");
    return ok();
  }

  // POST /api/v1/scenarios/{name}/samples in bounded pieces; the number of samples posted.
  // Stops between pieces when `stop` is requested.
  Result<size_t> post(api::HttpClient& server, const simulation::ScenarioResult& r, std::stop_token stop) {
    const std::string path = "/api/v1/scenarios/" + api::percent_encode(r.scenario) + "/samples";
    size_t total = 0;
    json body = {{"series", json::array()}};
    size_t in_body = 0;
    auto send = [&]() -> Status {
      if (in_body == 0) return ok();
      IOT_TRY(request_json(server, api::Method::POST, path, body.dump()));
      total += in_body;
      body["series"] = json::array();
      in_body = 0;
      return ok();
    };
    for (const auto& s : r.series) {
      for (size_t at = 0; at < s.values.size();) {
        if (stop.stop_requested()) return total;
        size_t n = std::min(kSamplesPerPost - in_body, s.values.size() - at);
        body["series"].push_back({{"twin", s.twin},
                                  {"property", s.property},
                                  {"ts_ns", std::vector<int64_t>(s.ts_ns.begin() + at, s.ts_ns.begin() + at + n)},
                                  {"values", std::vector<double>(s.values.begin() + at, s.values.begin() + at + n)}});
        in_body += n;
        at += n;
        if (in_body == kSamplesPerPost) IOT_TRY(send());
      }
    }
    IOT_TRY(send());
    return total;
  }

  runtime::BuiltinContext ctx_;
  SimConfig c_;
  builtin::Outputs outputs_;
};

}  // namespace

Result<std::unique_ptr<runtime::BuiltinTask>> make_simulation(const runtime::BuiltinContext& ctx) {
  IOT_ASSIGN(auto config, builtin::Config::parse(kSimulation, ctx.config_json));
  SimConfig c;
  IOT_ASSIGN(c.model, config.required_text("model"));
  bool known = c.model.starts_with("/");
  for (const auto& m : kModels) known = known || c.model == m.name;
  if (!known) return std::unexpected(config.bad("model", "unknown simulation model '" + c.model + "' (known: " + known_models() + ")"));
  IOT_ASSIGN(auto horizon, config.duration("horizon"));
  if (horizon) c.horizon = *horizon;
  IOT_ASSIGN(auto step, config.duration("step"));
  if (step) c.step = *step;
  if (c.horizon / c.step > kMaxSteps) {
    return std::unexpected(config.bad("horizon", "over " + std::to_string(static_cast<int64_t>(kMaxSteps)) +
                                                     " steps at this step: shorten it or raise `step`"));
  }
  IOT_ASSIGN(c.interval, config.duration("interval"));
  IOT_ASSIGN(auto seed, config.integer("seed"));
  if (seed) c.seed = static_cast<uint64_t>(*seed);
  IOT_ASSIGN(auto twins, config.twins());
  c.twin = twins.empty() ? "sim-" + c.model : twins.front();
  if (c.model.starts_with("/") && !std::filesystem::exists(c.model)) {
    return std::unexpected(config.bad("model", "plant file " + c.model + " does not exist"));
  }
  return std::unique_ptr<runtime::BuiltinTask>(std::make_unique<SimulationTask>(ctx, std::move(c)));
}

}  // namespace iotwins::tasks
