#include "simulation/hybrid_twin.h"

#include <algorithm>
#include <cmath>

namespace iotwins::simulation {
namespace {

bool matches(const std::vector<HybridBinding>& bindings, std::string_view twin, std::string_view property) {
  return std::any_of(bindings.begin(), bindings.end(), [&](const HybridBinding& b) {
    return b.twin == twin && b.property == property;
  });
}

}  // namespace

Result<HybridTwin> HybridTwin::create(Plant model, HybridOptions options, int64_t start_ns) {
  model.set_noise(false);
  model.set_epoch_ns(start_ns - static_cast<int64_t>(std::llround(model.time_s() * 1e9)));
  // Every binding must name a property the model can take from a measurement: try each on a
  // scratch copy with the model's own current value.
  Plant scratch = model;
  scratch.evaluate();
  for (const auto* list : {&options.inputs, &options.sync}) {
    for (const auto& b : *list) {
      IOT_ASSIGN(size_t twin, scratch.find_twin(b.twin));
      IOT_ASSIGN(size_t property, scratch.find_property(twin, b.property));
      IOT_TRY(scratch.set_state(b.twin, b.property, scratch.truth(twin)[property]));
    }
  }
  return HybridTwin(std::move(model), std::move(options), start_ns);
}

std::string HybridTwin::residual_property(std::string_view property) {
  return std::string(property) + "_residual";
}

int64_t HybridTwin::model_ts_ns() const {
  return start_ns_ + static_cast<int64_t>(std::llround(model_.time_s() * 1e9));
}

bool HybridTwin::is_input(std::string_view twin, std::string_view property) const {
  return matches(options_.inputs, twin, property);
}

bool HybridTwin::is_sync(std::string_view twin, std::string_view property) const {
  return matches(options_.sync, twin, property);
}

Result<std::vector<Residual>> HybridTwin::update(int64_t ts_ns, std::span<const MeasuredFrame> frames) {
  const double dt = model_.step_s();
  const double target_s = static_cast<double>(ts_ns - start_ns_) / 1e9;
  const double steps = std::round(target_s / dt);
  const double now_steps = static_cast<double>(model_.steps());
  if (steps < now_steps) {
    return make_error(Errc::invalid_argument,
                      "hybrid twin: measurement at " + std::to_string(ts_ns) +
                          " ns is older than the model time " + std::to_string(model_ts_ns()) + " ns");
  }
  // Check every frame before touching the model, so a bad frame changes nothing.
  struct Item {
    size_t twin;
    size_t property;
    double value;
    bool input;
    bool sync;
  };
  std::vector<Item> items;
  for (const auto& frame : frames) {
    IOT_ASSIGN(size_t twin, model_.find_twin(frame.twin));
    for (const auto& [name, value] : frame.values) {
      auto property = model_.find_property(twin, name);
      if (!property) continue;
      if (!std::isfinite(value)) {
        return make_error(Errc::invalid_argument, "hybrid twin: " + frame.twin + "." + name + " is not a finite number");
      }
      items.push_back({twin, *property, value, is_input(frame.twin, name), is_sync(frame.twin, name)});
    }
  }
  while (static_cast<double>(model_.steps()) < steps) model_.step();
  for (const auto& item : items) {
    if (item.input) {
      const TwinInfo& info = model_.twin(item.twin);
      IOT_TRY(model_.set_state(info.id, info.properties[item.property], item.value));
    }
  }
  model_.evaluate();
  std::vector<Residual> out;
  const int64_t ts = model_ts_ns();
  for (const auto& item : items) {
    if (item.input) continue;
    const TwinInfo& info = model_.twin(item.twin);
    const double simulated = model_.truth(item.twin)[item.property];
    out.push_back({info.id, info.properties[item.property], ts, item.value, simulated, item.value - simulated});
  }
  for (const auto& item : items) {
    if (item.sync) {
      const TwinInfo& info = model_.twin(item.twin);
      IOT_TRY(model_.set_state(info.id, info.properties[item.property], item.value));
    }
  }
  return out;
}

}  // namespace iotwins::simulation
