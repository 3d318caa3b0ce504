// Twin models (a DTDL-like subset, written in JSON or YAML): telemetry properties, attributes,
// desired properties with constraints, relationships, and topic mappings that let devices
// keep their own MQTT topics and payloads. See docs/twins.md for the format.
#pragma once

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace iotwins::twin {

enum class PropertyType { number, integer, boolean, string };
std::string_view property_type_name(PropertyType type);

struct Property {
  std::string name;  // dotted for nested state: "pump.speed"
  PropertyType type = PropertyType::number;
  std::string unit;
  std::string description;
  bool required = false;  // attributes only
  std::optional<double> min, max;
  std::vector<nlohmann::json> allowed;  // enum
  std::string pattern;                  // ECMAScript regular expression, whole-string match
  std::shared_ptr<const std::regex> regex;
};

struct Relationship {
  std::string name;
  std::string target;  // a model id
  std::string description;
};

struct TopicEntry {
  nlohmann::json::json_pointer pointer;
  std::string pointer_text;
  std::string property;  // a telemetry property
  double scale = 1;      // value * scale + offset, e.g. tenths of a degree -> degrees
  double offset = 0;
};

struct TopicMapping {
  std::string topic;  // MQTT filter with + and #, and {twin} capturing one level
  std::string twin;   // fixed twin id when the topic has no {twin}
  std::vector<TopicEntry> entries;
};

struct TwinModel {
  std::string id;
  std::string description;
  std::vector<Property> telemetry;
  std::vector<Property> attributes;
  std::vector<Property> desired;
  std::vector<Relationship> relationships;
  std::vector<TopicMapping> topics;

  const Property* find_telemetry(std::string_view name) const;
  const Property* find_desired(std::string_view name) const;
  const Property* find_attribute(std::string_view name) const;
};

inline constexpr std::size_t kMaxModelBytes = 256 * 1024;

enum class ModelFormat { automatic, json, yaml };

// Parses a model. Errors name the path ("desired.speed.min: must be a number") and, for YAML,
// the line:column ("... (line 12:7)"). Automatic picks JSON when the text starts with '{'.
Result<TwinModel> parse_model(std::string_view text, ModelFormat format = ModelFormat::automatic);
Result<TwinModel> model_from_json(const nlohmann::json& value);
nlohmann::json to_json(const TwinModel& model);

// Checks a desired update (the object under state.desired, nulls allowed) against the model:
// every leaf must be a declared desired property of the right type within its constraints.
Status validate_desired(const TwinModel& model, const nlohmann::json& update);
// Checks declared telemetry properties' types in a reported update; other keys pass.
Status validate_reported(const TwinModel& model, const nlohmann::json& update);
// Required attributes present, declared ones of the right type and within constraints.
Status validate_attributes(const TwinModel& model, const nlohmann::json& attributes);

// --- topic mappings ---

// The MQTT subscription for a mapping ({twin} becomes +).
std::string subscription(const TopicMapping& mapping);
// The twin a topic addresses under a mapping, or nullopt when the topic does not match.
std::optional<std::string> match_topic(const TopicMapping& mapping, std::string_view topic);

struct MappedValue {
  std::string property;
  nlohmann::json value;
};

struct MappedMessage {
  std::string twin;
  std::vector<MappedValue> values;     // in mapping order; pointers absent from the payload skip
  std::vector<std::string> problems;   // entries skipped for a wrong type, with the reason
};

// Maps a device message with the first of the model's mappings that matches its topic;
// not_found when none does.
Result<MappedMessage> map_message(const TwinModel& model, std::string_view topic,
                                  const nlohmann::json& payload);

}  // namespace iotwins::twin
