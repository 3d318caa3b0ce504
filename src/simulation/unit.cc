#include "simulation/unit.h"

#include <algorithm>
#include <cmath>

namespace iotwins::simulation {
namespace {

std::string port_name(std::string_view kind, const std::string& twin) {
  return std::string(kind) + " " + twin;
}

std::string known_keys(const std::vector<NumberRef>& refs) {
  std::string out;
  for (const auto& r : refs) out += (out.empty() ? "" : ", ") + std::string(r.key);
  return out;
}

}  // namespace

void Unit::add_port(std::string twin, std::string_view kind,
                    std::span<const PropertyInfo> properties) {
  ports_.push_back(Port{std::move(twin), kind, properties, std::vector<double>(properties.size(), 0.0)});
}

Status Unit::apply_desired(size_t port, const nlohmann::json& state) {
  const std::string who = port_name(kind(port), twin(port));
  if (!state.is_object()) {
    return make_error(Errc::invalid_argument, who + ": desired state must be a JSON object");
  }
  auto refs = setpoints(port);
  std::vector<std::pair<double*, double>> accepted;
  for (const auto& [key, value] : state.items()) {
    auto ref = std::find_if(refs.begin(), refs.end(), [&](const NumberRef& r) { return r.key == key; });
    if (ref == refs.end()) {
      return make_error(Errc::invalid_argument, who + ": unknown setpoint '" + key +
                                                    "' (known: " + known_keys(refs) + ")");
    }
    double v = 0.0;
    if (ref->boolean) {
      if (!value.is_boolean()) {
        return make_error(Errc::invalid_argument, who + ": setpoint '" + key + "' must be true or false, got " + value.dump());
      }
      v = value.get<bool>() ? 1.0 : 0.0;
    } else {
      if (!value.is_number()) {
        return make_error(Errc::invalid_argument, who + ": setpoint '" + key + "' must be a number, got " + value.dump());
      }
      v = value.get<double>();
      if (!std::isfinite(v) || !ref->bounds.contains(v)) {
        return make_error(Errc::invalid_argument, who + ": setpoint '" + key + "' must be " +
                                                      ref->bounds.describe() + ", got " + value.dump());
      }
    }
    accepted.emplace_back(ref->value, v);
  }
  for (auto [target, v] : accepted) *target = v;
  return ok();
}

nlohmann::json Unit::desired(size_t port) const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& ref : const_cast<Unit*>(this)->setpoints(port)) {
    if (ref.boolean) out[std::string(ref.key)] = *ref.value != 0.0;
    else out[std::string(ref.key)] = *ref.value;
  }
  return out;
}

Status Unit::set_parameter(size_t port, std::string_view key, double value) {
  const std::string who = port_name(kind(port), twin(port));
  auto refs = parameters(port);
  auto ref = std::find_if(refs.begin(), refs.end(), [&](const NumberRef& r) { return r.key == key; });
  if (ref == refs.end()) {
    return make_error(Errc::invalid_argument, who + ": unknown parameter '" + std::string(key) +
                                                  "' (known: " + known_keys(refs) + ")");
  }
  if (!std::isfinite(value) || !ref->bounds.contains(value)) {
    return make_error(Errc::invalid_argument, who + ": parameter '" + std::string(key) + "' must be " +
                                                  ref->bounds.describe());
  }
  const double previous = *ref->value;
  *ref->value = value;
  if (auto st = parameters_changed(); !st) {
    *ref->value = previous;
    IOT_TRY(parameters_changed());
    return std::unexpected(std::move(st.error()).context(who + ": parameter '" + std::string(key) + "'"));
  }
  return ok();
}

std::vector<std::string> Unit::parameter_names(size_t port) {
  std::vector<std::string> out;
  for (const auto& ref : parameters(port)) out.emplace_back(ref.key);
  return out;
}

Status Unit::unknown_state(size_t port, std::string_view property) const {
  return make_error(Errc::invalid_argument, port_name(kind(port), twin(port)) + ": property '" +
                                                std::string(property) +
                                                "' cannot be set from a measurement");
}

Status read_setpoints(const YamlMap& map, const std::vector<NumberRef>& refs) {
  for (const auto& ref : refs) {
    if (!map.has(ref.key)) continue;
    if (ref.boolean) {
      IOT_ASSIGN(bool v, map.flag(ref.key, *ref.value != 0.0));
      *ref.value = v ? 1.0 : 0.0;
    } else {
      IOT_ASSIGN(*ref.value, map.number(ref.key, ref.bounds));
    }
  }
  return ok();
}

}  // namespace iotwins::simulation
