// Topic mappings: MQTT topic matching with + # and {twin}, and JSON pointers onto telemetry.
#include <cmath>

#include "twin/document.h"
#include "twin/model.h"

namespace iotwins::twin {
namespace {

using nlohmann::json;

std::vector<std::string_view> levels(std::string_view topic) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = topic.find('/', start);
    out.push_back(topic.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

bool type_fits(PropertyType type, const json& v) {
  switch (type) {
    case PropertyType::number: return v.is_number();
    case PropertyType::integer:
      return v.is_number_integer() ||
             (v.is_number_float() && std::isfinite(v.get<double>()) &&
              v.get<double>() == std::floor(v.get<double>()));
    case PropertyType::boolean: return v.is_boolean();
    case PropertyType::string: return v.is_string();
  }
  return false;
}

}  // namespace

std::string subscription(const TopicMapping& mapping) {
  std::string joined;
  bool first = true;
  for (auto level : levels(mapping.topic)) {
    if (!first) joined += '/';
    first = false;
    joined += level == "{twin}" ? std::string_view("+") : level;
  }
  return joined;
}

std::optional<std::string> match_topic(const TopicMapping& mapping, std::string_view topic) {
  const auto filter = levels(mapping.topic);
  const auto parts = levels(topic);
  std::string twin = mapping.twin;
  // MQTT: wildcards at the first level never match topics starting with '$' ($SYS, ...).
  if (!topic.empty() && topic[0] == '$' && !filter.empty() &&
      (filter[0] == "+" || filter[0] == "#" || filter[0] == "{twin}")) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < filter.size(); ++i) {
    if (filter[i] == "#") return twin.empty() ? std::nullopt : std::optional(twin);
    if (i >= parts.size()) return std::nullopt;
    if (filter[i] == "+") continue;
    if (filter[i] == "{twin}") {
      if (!validate_twin_id(parts[i])) return std::nullopt;
      twin = std::string(parts[i]);
      continue;
    }
    if (filter[i] != parts[i]) return std::nullopt;
  }
  if (parts.size() != filter.size()) return std::nullopt;
  return twin;
}

Result<MappedMessage> map_message(const TwinModel& model, std::string_view topic,
                                  const json& payload) {
  for (const auto& mapping : model.topics) {
    auto twin = match_topic(mapping, topic);
    if (!twin) continue;
    MappedMessage out;
    out.twin = std::move(*twin);
    for (const auto& e : mapping.entries) {
      if (!payload.contains(e.pointer)) continue;
      const json& raw = payload.at(e.pointer);
      const Property* prop = model.find_telemetry(e.property);
      json value = raw;
      if (raw.is_number() && (e.scale != 1 || e.offset != 0)) {
        value = raw.get<double>() * e.scale + e.offset;
      }
      if (prop != nullptr && !type_fits(prop->type, value)) {
        const std::string shown =
            raw.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 64);
        out.problems.push_back(e.pointer_text + " -> " + e.property + ": " + shown +
                               " is not a " + std::string(property_type_name(prop->type)));
        continue;
      }
      out.values.push_back({e.property, std::move(value)});
    }
    return out;
  }
  return make_error(Errc::not_found, "no topic mapping of model " + model.id + " matches '" +
                                         std::string(topic) + "'");
}

}  // namespace iotwins::twin
