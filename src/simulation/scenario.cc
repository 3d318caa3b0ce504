#include "simulation/scenario.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

namespace iotwins::simulation {
namespace {

constexpr uint64_t kCancelCheckSteps = 1024;

struct Recorder {
  size_t twin;
  size_t property;
  Series series;
};

Result<std::vector<Recorder>> recorders(const Plant& plant, const ScenarioSpec& spec) {
  std::vector<Recorder> out;
  if (spec.record.empty()) {
    for (size_t t = 0; t < plant.twin_count(); ++t) {
      const TwinInfo& info = plant.twin(t);
      for (size_t p : info.published) out.push_back({t, p, {info.id, info.properties[p], {}, {}}});
    }
    return out;
  }
  for (const auto& key : spec.record) {
    IOT_ASSIGN(size_t t, plant.find_twin(key.twin));
    IOT_ASSIGN(size_t p, plant.find_property(t, key.property));
    out.push_back({t, p, {key.twin, key.property, {}, {}}});
  }
  return out;
}

std::string format_value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

}  // namespace

const Series* ScenarioResult::find(std::string_view twin, std::string_view property) const {
  for (const auto& s : series) {
    if (s.twin == twin && s.property == property) return &s;
  }
  return nullptr;
}

Result<ScenarioResult> run_scenario(const Plant& base, const ScenarioSpec& spec,
                                    const std::atomic<bool>* cancel) {
  const std::string where = "scenario '" + spec.name + "'";
  if (spec.name.empty()) return make_error(Errc::invalid_argument, "a scenario needs a name");
  if (!(spec.duration_s > 0.0) || !std::isfinite(spec.duration_s)) {
    return make_error(Errc::invalid_argument, where + ": duration must be > 0");
  }
  Plant plant = base;
  plant.set_noise(spec.noise);
  if (spec.seed) plant.reseed(*spec.seed);
  plant.set_epoch_ns(spec.start_ns - static_cast<int64_t>(std::llround(plant.time_s() * 1e9)));
  uint64_t every = 1;
  if (spec.sample_every_s > 0.0) {
    const double ratio = spec.sample_every_s / plant.sample_period_s();
    if (ratio < 1.0 || std::abs(ratio - std::round(ratio)) > 1e-9) {
      return make_error(Errc::invalid_argument, where + ": sample_every_s must be a multiple of the plant's sample period (" +
                                                    format_value(plant.sample_period_s()) + " s)");
    }
    every = static_cast<uint64_t>(std::llround(ratio));
  }
  for (const auto& p : spec.parameters) {
    auto st = plant.set_parameter(p.twin, p.key, p.value);
    if (!st) return std::unexpected(std::move(st.error()).context(where));
  }
  for (const auto& f : spec.faults) {
    auto st = plant.inject_fault(f);
    if (!st) return std::unexpected(std::move(st.error()).context(where));
  }
  std::vector<SetpointChange> changes = spec.setpoints;
  std::stable_sort(changes.begin(), changes.end(),
                   [](const SetpointChange& a, const SetpointChange& b) { return a.at_s < b.at_s; });
  for (const auto& c : changes) {
    // Checked up front on a scratch copy, so a bad change fails before hours of simulation.
    Plant scratch = plant;
    auto st = scratch.apply_desired(c.twin, c.state);
    if (!st) return std::unexpected(std::move(st.error()).context(where));
  }
  auto recs = recorders(plant, spec);
  if (!recs) return std::unexpected(std::move(recs.error()).context(where));
  const uint64_t total = static_cast<uint64_t>(std::ceil(spec.duration_s / plant.step_s() - 1e-9));
  const double start_s = plant.time_s();
  size_t next_change = 0;
  uint64_t samples = 0;
  ScenarioResult result;
  result.scenario = spec.name;
  for (uint64_t i = 0; i < total; ++i) {
    if (cancel != nullptr && i % kCancelCheckSteps == 0 && cancel->load(std::memory_order_relaxed)) {
      return make_error(Errc::cancelled, where + ": cancelled");
    }
    while (next_change < changes.size() && changes[next_change].at_s <= plant.time_s() - start_s + 1e-9) {
      IOT_TRY(plant.apply_desired(changes[next_change].twin, changes[next_change].state));
      ++next_change;
    }
    if (!plant.step()) continue;
    if (samples++ % every != 0) continue;
    for (auto& r : *recs) {
      r.series.ts_ns.push_back(plant.sample_ts_ns());
      r.series.values.push_back(plant.measured(r.twin)[r.property]);
    }
  }
  result.steps = total;
  for (auto& r : *recs) result.series.push_back(std::move(r.series));
  return result;
}

Result<std::vector<ScenarioResult>> run_sweep(const Plant& base, const SweepSpec& spec,
                                              const std::atomic<bool>* cancel) {
  if (spec.values.empty()) return make_error(Errc::invalid_argument, "sweep: no values");
  if (spec.threads == 0) return make_error(Errc::invalid_argument, "sweep: threads must be >= 1");
  // Check the target once before starting any thread.
  {
    Plant scratch = base;
    auto st = spec.target == SweepTarget::parameter
                  ? scratch.set_parameter(spec.twin, spec.key, spec.values.front())
                  : scratch.apply_desired(spec.twin, nlohmann::json{{spec.key, spec.values.front()}});
    if (!st) return std::unexpected(std::move(st.error()).context("sweep"));
  }
  const size_t n = spec.values.size();
  std::vector<std::optional<Result<ScenarioResult>>> results(n);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      ScenarioSpec run = spec.base;
      run.name = spec.base.name + "/" + spec.twin + "." + spec.key + "=" + format_value(spec.values[i]);
      if (spec.target == SweepTarget::parameter) {
        run.parameters.push_back({spec.twin, spec.key, spec.values[i]});
      } else {
        run.setpoints.insert(run.setpoints.begin(),
                             SetpointChange{spec.twin, nlohmann::json{{spec.key, spec.values[i]}}, 0.0});
      }
      results[i] = run_scenario(base, run, cancel);
    }
  };
  {
    std::vector<std::jthread> pool;
    const size_t threads = std::min(spec.threads, n);
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
  }
  std::vector<ScenarioResult> out;
  out.reserve(n);
  for (auto& r : results) {
    if (!*r) return std::unexpected(std::move(r->error()));
    out.push_back(std::move(**r));
  }
  return out;
}

Result<Comparison> compare_series(const Series& simulated, const Series& measured) {
  if (measured.ts_ns.size() != measured.values.size() || simulated.ts_ns.size() != simulated.values.size()) {
    return make_error(Errc::invalid_argument, "compare: timestamps and values differ in length");
  }
  if (!std::is_sorted(measured.ts_ns.begin(), measured.ts_ns.end())) {
    return make_error(Errc::invalid_argument, "compare: measured timestamps are not in order");
  }
  Comparison c;
  if (measured.ts_ns.empty()) return c;
  double sum = 0, sum_sq = 0;
  size_t j = 0;
  for (size_t i = 0; i < simulated.ts_ns.size(); ++i) {
    const int64_t ts = simulated.ts_ns[i];
    if (ts < measured.ts_ns.front() || ts > measured.ts_ns.back()) continue;
    while (j + 1 < measured.ts_ns.size() && measured.ts_ns[j + 1] < ts) ++j;
    double m = measured.values[j];
    if (measured.ts_ns[j] != ts && j + 1 < measured.ts_ns.size()) {
      const double w = static_cast<double>(ts - measured.ts_ns[j]) /
                       static_cast<double>(measured.ts_ns[j + 1] - measured.ts_ns[j]);
      m = measured.values[j] + w * (measured.values[j + 1] - measured.values[j]);
    }
    const double r = m - simulated.values[i];
    sum += r;
    sum_sq += r * r;
    c.max_abs = std::max(c.max_abs, std::abs(r));
    ++c.points;
  }
  if (c.points > 0) {
    c.mean_residual = sum / static_cast<double>(c.points);
    c.rmse = std::sqrt(sum_sq / static_cast<double>(c.points));
  }
  return c;
}

}  // namespace iotwins::simulation
