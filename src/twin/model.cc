// model_from_json and to_json: the model's structure and the checks on it.
#include "twin/model.h"

#include "twin/document.h"

namespace iotwins::twin {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxPatternBytes = 256;
constexpr std::size_t kMaxProperties = 512;

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::unexpected<Error> bad(const std::string& path, std::string message) {
  return make_error(Errc::invalid_argument, path + ": " + std::move(message));
}

Status only_keys(const json& v, const std::string& path,
                 std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, _] : v.items()) {
    bool known = false;
    for (auto a : allowed) known = known || a == k;
    if (!known) return bad(join(path, k), "unknown field");
  }
  return ok();
}

Result<std::string> get_string(const json& v, const std::string& path, const char* key,
                               bool required) {
  auto it = v.find(key);
  if (it == v.end() || it->is_null()) {
    if (required) return bad(join(path, key), "missing");
    return std::string();
  }
  if (!it->is_string()) return bad(join(path, key), "must be a string");
  return it->get<std::string>();
}

Result<std::optional<double>> get_number(const json& v, const std::string& path,
                                         const char* key) {
  auto it = v.find(key);
  if (it == v.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) return bad(join(path, key), "must be a number");
  return std::optional<double>(it->get<double>());
}

// Property names: dotted segments of [A-Za-z0-9_-].
Status check_name(const std::string& name, const std::string& path) {
  if (name.empty() || name.size() > 128) return bad(path, "name must be 1..128 bytes");
  bool segment_empty = true;
  for (char c : name) {
    if (c == '.') {
      if (segment_empty) return bad(path, "name has an empty segment");
      segment_empty = true;
      continue;
    }
    const bool good = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
    if (!good) return bad(path, "name may hold only A-Z a-z 0-9 _ - and '.' between segments");
    segment_empty = false;
  }
  if (segment_empty) return bad(path, "name has an empty segment");
  return ok();
}

Result<PropertyType> parse_type(const std::string& text, const std::string& path) {
  if (text == "number") return PropertyType::number;
  if (text == "integer") return PropertyType::integer;
  if (text == "boolean") return PropertyType::boolean;
  if (text == "string") return PropertyType::string;
  return bad(path, "type '" + text + "' is not one of number, integer, boolean, string");
}

Result<Property> parse_property(const std::string& name, const json& v, const std::string& path,
                                bool is_attribute, bool with_constraints) {
  IOT_TRY(check_name(name, path));
  if (!v.is_object()) return bad(path, "must be an object like {type: number}");
  IOT_TRY(only_keys(v, path, {"type", "unit", "description", "required", "min", "max", "enum",
                              "pattern"}));
  Property p;
  p.name = name;
  IOT_ASSIGN(std::string type, get_string(v, path, "type", true));
  IOT_ASSIGN(p.type, parse_type(type, path + ".type"));
  IOT_ASSIGN(p.unit, get_string(v, path, "unit", false));
  IOT_ASSIGN(p.description, get_string(v, path, "description", false));
  if (auto it = v.find("required"); it != v.end()) {
    if (!is_attribute) return bad(path + ".required", "only attributes can be required");
    if (!it->is_boolean()) return bad(path + ".required", "must be true or false");
    p.required = it->get<bool>();
  }
  const bool constrained = v.contains("min") || v.contains("max") || v.contains("enum") ||
                           v.contains("pattern");
  if (constrained && !with_constraints) {
    return bad(path, "constraints (min, max, enum, pattern) apply to desired properties and "
                     "attributes only");
  }
  IOT_ASSIGN(p.min, get_number(v, path, "min"));
  IOT_ASSIGN(p.max, get_number(v, path, "max"));
  const bool numeric = p.type == PropertyType::number || p.type == PropertyType::integer;
  if ((p.min || p.max) && !numeric) return bad(path, "min/max need type number or integer");
  if (p.min && p.max && *p.min > *p.max) return bad(path, "min is greater than max");
  if (auto it = v.find("enum"); it != v.end()) {
    if (!it->is_array() || it->empty()) return bad(path + ".enum", "must be a non-empty list");
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& e = (*it)[i];
      const bool fits = (numeric && e.is_number()) ||
                        (p.type == PropertyType::boolean && e.is_boolean()) ||
                        (p.type == PropertyType::string && e.is_string());
      if (!fits) {
        return bad(path + ".enum." + std::to_string(i),
                   "is not a " + std::string(property_type_name(p.type)));
      }
      p.allowed.push_back(e);
    }
  }
  IOT_ASSIGN(p.pattern, get_string(v, path, "pattern", false));
  if (!p.pattern.empty()) {
    if (p.type != PropertyType::string) return bad(path + ".pattern", "needs type string");
    if (p.pattern.size() > kMaxPatternBytes) {
      return bad(path + ".pattern", "longer than " + std::to_string(kMaxPatternBytes) + " bytes");
    }
    try {
      p.regex = std::make_shared<const std::regex>(p.pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return bad(path + ".pattern", std::string("invalid regular expression: ") + e.what());
    }
  }
  return p;
}

Result<std::vector<Property>> parse_properties(const json& model, const char* key,
                                               bool is_attribute, bool with_constraints) {
  std::vector<Property> out;
  auto it = model.find(key);
  if (it == model.end() || it->is_null()) return out;
  if (!it->is_object()) return bad(key, "must be a map of property name to definition");
  if (it->size() > kMaxProperties) {
    return bad(key, "more than " + std::to_string(kMaxProperties) + " properties");
  }
  for (const auto& [name, def] : it->items()) {
    IOT_ASSIGN(Property p, parse_property(name, def, std::string(key) + "." + name, is_attribute,
                                          with_constraints));
    out.push_back(std::move(p));
  }
  // A name that is a prefix of another ("pump" and "pump.speed") would make a leaf an object.
  for (const auto& a : out) {
    for (const auto& b : out) {
      if (b.name.size() > a.name.size() && b.name.starts_with(a.name) &&
          b.name[a.name.size()] == '.') {
        return bad(std::string(key) + "." + b.name, "nests under property " + a.name +
                                                        ", which is a value, not an object");
      }
    }
  }
  return out;
}

// MQTT topic filter with {twin}: levels split by '/', '+' and '{twin}' whole levels, '#' last.
Status check_topic(const std::string& topic, const std::string& path, bool has_fixed_twin) {
  if (topic.empty() || topic.size() > 512) return bad(path, "topic must be 1..512 bytes");
  int captures = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = topic.find('/', start);
    const std::string_view level =
        std::string_view(topic).substr(start, slash == std::string::npos ? std::string::npos
                                                                         : slash - start);
    const bool last = slash == std::string::npos;
    if (level == "{twin}") {
      ++captures;
    } else if (level == "#") {
      if (!last) return bad(path, "'#' must be the last level of the topic");
    } else if (level != "+" && (level.find_first_of("+#{}") != std::string_view::npos)) {
      return bad(path, "level '" + std::string(level) +
                           "' mixes a wildcard with text; +, # and {twin} take a whole level");
    }
    if (last) break;
    start = slash + 1;
  }
  if (captures > 1) return bad(path, "{twin} may appear once");
  if (captures == 0 && !has_fixed_twin) {
    return bad(path, "the topic needs a {twin} level, or the mapping a fixed 'twin'");
  }
  if (captures == 1 && has_fixed_twin) return bad(path, "has both {twin} and a fixed 'twin'");
  return ok();
}

Result<TopicMapping> parse_mapping(const json& v, const std::string& path, const TwinModel& m) {
  if (!v.is_object()) return bad(path, "must be an object with topic and map");
  IOT_TRY(only_keys(v, path, {"topic", "twin", "map"}));
  TopicMapping t;
  IOT_ASSIGN(t.topic, get_string(v, path, "topic", true));
  IOT_ASSIGN(t.twin, get_string(v, path, "twin", false));
  if (!t.twin.empty()) {
    if (auto s = validate_twin_id(t.twin); !s) return bad(path + ".twin", s.error().message());
  }
  IOT_TRY(check_topic(t.topic, path + ".topic", !t.twin.empty()));
  auto map = v.find("map");
  if (map == v.end() || !map->is_array() || map->empty()) {
    return bad(path + ".map", "must be a non-empty list of {pointer, property}");
  }
  for (std::size_t i = 0; i < map->size(); ++i) {
    const std::string p = path + ".map." + std::to_string(i);
    const json& e = (*map)[i];
    if (!e.is_object()) return bad(p, "must be an object {pointer, property}");
    IOT_TRY(only_keys(e, p, {"pointer", "property", "scale", "offset"}));
    TopicEntry entry;
    IOT_ASSIGN(entry.pointer_text, get_string(e, p, "pointer", true));
    try {
      entry.pointer = json::json_pointer(entry.pointer_text);
    } catch (const json::exception& ex) {
      return bad(p + ".pointer", "not a JSON pointer (RFC 6901) like /data/temp");
    }
    IOT_ASSIGN(entry.property, get_string(e, p, "property", true));
    if (m.find_telemetry(entry.property) == nullptr) {
      return bad(p + ".property", "'" + entry.property + "' is not a telemetry property");
    }
    IOT_ASSIGN(auto scale, get_number(e, p, "scale"));
    IOT_ASSIGN(auto offset, get_number(e, p, "offset"));
    entry.scale = scale.value_or(1);
    entry.offset = offset.value_or(0);
    t.entries.push_back(std::move(entry));
  }
  return t;
}

json property_json(const Property& p) {
  json out = {{"type", property_type_name(p.type)}};
  if (!p.unit.empty()) out["unit"] = p.unit;
  if (!p.description.empty()) out["description"] = p.description;
  if (p.required) out["required"] = true;
  if (p.min) out["min"] = *p.min;
  if (p.max) out["max"] = *p.max;
  if (!p.allowed.empty()) out["enum"] = p.allowed;
  if (!p.pattern.empty()) out["pattern"] = p.pattern;
  return out;
}

const Property* find_in(const std::vector<Property>& props, std::string_view name) {
  for (const auto& p : props) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace

std::string_view property_type_name(PropertyType type) {
  switch (type) {
    case PropertyType::number: return "number";
    case PropertyType::integer: return "integer";
    case PropertyType::boolean: return "boolean";
    case PropertyType::string: return "string";
  }
  return "number";
}

const Property* TwinModel::find_telemetry(std::string_view n) const { return find_in(telemetry, n); }
const Property* TwinModel::find_desired(std::string_view n) const { return find_in(desired, n); }
const Property* TwinModel::find_attribute(std::string_view n) const {
  return find_in(attributes, n);
}

Result<TwinModel> model_from_json(const json& v) {
  if (!v.is_object()) return bad("model", "must be an object");
  IOT_TRY(only_keys(v, "", {"id", "description", "telemetry", "attributes", "desired",
                                 "relationships", "topics"}));
  TwinModel m;
  IOT_ASSIGN(m.id, get_string(v, "", "id", true));
  if (auto s = validate_twin_id(m.id); !s) {
    return bad("id", "model " + s.error().message().substr(5));  // "twin id ..." -> "model id ..."
  }
  IOT_ASSIGN(m.description, get_string(v, "", "description", false));
  IOT_ASSIGN(m.telemetry, parse_properties(v, "telemetry", false, false));
  IOT_ASSIGN(m.attributes, parse_properties(v, "attributes", true, true));
  IOT_ASSIGN(m.desired, parse_properties(v, "desired", false, true));
  if (auto it = v.find("relationships"); it != v.end() && !it->is_null()) {
    if (!it->is_array()) return bad("relationships", "must be a list");
    for (std::size_t i = 0; i < it->size(); ++i) {
      const std::string p = "relationships." + std::to_string(i);
      const json& r = (*it)[i];
      if (!r.is_object()) return bad(p, "must be an object {name, target}");
      IOT_TRY(only_keys(r, p, {"name", "target", "description"}));
      Relationship rel;
      IOT_ASSIGN(rel.name, get_string(r, p, "name", true));
      IOT_TRY(check_name(rel.name, p + ".name"));
      IOT_ASSIGN(rel.target, get_string(r, p, "target", true));
      if (auto s = validate_twin_id(rel.target); !s) {
        return bad(p + ".target", "not a model id: " + s.error().message());
      }
      IOT_ASSIGN(rel.description, get_string(r, p, "description", false));
      m.relationships.push_back(std::move(rel));
    }
  }
  if (auto it = v.find("topics"); it != v.end() && !it->is_null()) {
    if (!it->is_array()) return bad("topics", "must be a list");
    for (std::size_t i = 0; i < it->size(); ++i) {
      IOT_ASSIGN(TopicMapping t, parse_mapping((*it)[i], "topics." + std::to_string(i), m));
      m.topics.push_back(std::move(t));
    }
  }
  return m;
}

json to_json(const TwinModel& m) {
  json out = {{"id", m.id}};
  if (!m.description.empty()) out["description"] = m.description;
  auto props = [](const std::vector<Property>& list) {
    json o = json::object();
    for (const auto& p : list) o[p.name] = property_json(p);
    return o;
  };
  out["telemetry"] = props(m.telemetry);
  out["attributes"] = props(m.attributes);
  out["desired"] = props(m.desired);
  out["relationships"] = json::array();
  for (const auto& r : m.relationships) {
    json rel = {{"name", r.name}, {"target", r.target}};
    if (!r.description.empty()) rel["description"] = r.description;
    out["relationships"].push_back(std::move(rel));
  }
  out["topics"] = json::array();
  for (const auto& t : m.topics) {
    json topic = {{"topic", t.topic}, {"map", json::array()}};
    if (!t.twin.empty()) topic["twin"] = t.twin;
    for (const auto& e : t.entries) {
      json entry = {{"pointer", e.pointer_text}, {"property", e.property}};
      if (e.scale != 1) entry["scale"] = e.scale;
      if (e.offset != 0) entry["offset"] = e.offset;
      topic["map"].push_back(std::move(entry));
    }
    out["topics"].push_back(std::move(topic));
  }
  return out;
}

}  // namespace iotwins::twin
