#include "twin/document.h"

#include <cctype>

#include "twin/json_shape.h"
#include "twin/shadow.h"

namespace iotwins::twin {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxIdBytes = 128;

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

Status check_section(const std::optional<json>& section, const char* name) {
  if (section && !section->is_object() && !section->is_null()) {
    return make_error(Errc::invalid_argument,
                      std::string("state.") + name + ": must be an object or null, got " +
                          section->type_name());
  }
  return ok();
}

// Size the section will have after the update: unchanged, deleted ({}) or merged.
Result<std::size_t> planned_size(const json& current, const std::optional<json>& update,
                                 const char* path, const Limits& limits) {
  if (!update) return detail::json_size(current);
  if (update->is_null()) return std::size_t{2};
  return detail::plan_merge(current, *update, path, limits);
}

// Applies one section's update: state, metadata and the changed paths.
void apply_section(json& state, json& metadata, const json& update, const char* path,
                   int64_t ts_ms, std::vector<std::string>& changed) {
  if (update.is_null()) {
    for (const auto& [k, v] : state.items()) changed.push_back(std::string(path) + "." + k);
    state = json::object();
    metadata = json::object();
    return;
  }
  std::string p = path;
  detail::merge_state(state, update, p, changed);
  detail::merge_metadata(metadata, update, state, ts_ms);
}

}  // namespace

std::string_view level_name(Level level) {
  switch (level) {
    case Level::unset: return "";
    case Level::iot: return "iot";
    case Level::edge: return "edge";
    case Level::cloud: return "cloud";
  }
  return "";
}

Result<Level> parse_level(std::string_view text) {
  if (text.empty()) return Level::unset;
  if (text == "iot") return Level::iot;
  if (text == "edge") return Level::edge;
  if (text == "cloud") return Level::cloud;
  return make_error(Errc::invalid_argument,
                    "level '" + std::string(text) + "' is not one of iot, edge, cloud");
}

Status validate_twin_id(std::string_view id) {
  if (id.empty()) return make_error(Errc::invalid_argument, "twin id is empty");
  if (id.size() > kMaxIdBytes) {
    return make_error(Errc::invalid_argument, "twin id is " + std::to_string(id.size()) +
                                                  " bytes, limit " + std::to_string(kMaxIdBytes));
  }
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool alnum = id_char(c) && c != '.' && c != '_' && c != ':' && c != '-';
    if (!id_char(c) || (i == 0 && !alnum)) {
      return make_error(Errc::invalid_argument,
                        "twin id '" + std::string(id) + "': character " + std::to_string(i + 1) +
                            " is not allowed (use A-Z a-z 0-9 . _ : -, starting with a letter "
                            "or digit)");
    }
  }
  return ok();
}

Status validate_twin_group(std::string_view group) {
  bool valid = !group.empty() && group.size() <= 64 && std::isalnum(static_cast<unsigned char>(group[0]));
  for (char c : group) {
    valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '@' || c == '-');
  }
  if (!valid) {
    return make_error(Errc::invalid_argument, "group: '" + std::string(group).substr(0, 80) +
                                                  "' is not a group name (1-64 of A-Z a-z 0-9 . _ @ -, "
                                                  "starting with a letter or digit)");
  }
  return ok();
}

Result<TwinDocument> make_twin(std::string id, std::string model, Level level, std::string parent,
                               json attributes, int64_t now_ns, const Limits& limits) {
  IOT_TRY(validate_twin_id(id));
  if (!parent.empty()) {
    if (auto s = validate_twin_id(parent); !s) {
      return std::unexpected(std::move(s.error()).context("parent"));
    }
    if (parent == id) {
      return make_error(Errc::invalid_argument, "twin " + id + " cannot be its own parent");
    }
  }
  if (attributes.is_null()) attributes = json::object();
  if (!attributes.is_object()) {
    return make_error(Errc::invalid_argument, "attributes: must be an object");
  }
  std::string path = "attributes";
  IOT_TRY(detail::check_value(attributes, path, 0, limits));
  const std::size_t bytes = detail::json_size(attributes);
  if (bytes > limits.max_attributes_bytes) {
    return make_error(Errc::too_large, "attributes: " + std::to_string(bytes) +
                                           " bytes, limit " +
                                           std::to_string(limits.max_attributes_bytes));
  }
  TwinDocument doc;
  doc.id = std::move(id);
  doc.model = std::move(model);
  doc.level = level;
  doc.parent = std::move(parent);
  doc.attributes = std::move(attributes);
  doc.version = 1;
  doc.updated_ms = now_ns / 1'000'000;
  return doc;
}

Result<Changes> apply_update(TwinDocument& doc, const StateUpdate& update, int64_t now_ns,
                             const Limits& limits) {
  if (!update.desired && !update.reported) {
    return make_error(Errc::invalid_argument,
                      "update of twin " + doc.id + " has neither state.desired nor state.reported");
  }
  IOT_TRY(check_section(update.desired, "desired"));
  IOT_TRY(check_section(update.reported, "reported"));
  if (update.expected_version && *update.expected_version != doc.version) {
    return make_error(Errc::conflict, "twin " + doc.id + " is at version " +
                                          std::to_string(doc.version) + ", the update expected " +
                                          std::to_string(*update.expected_version));
  }
  // Everything that can fail is checked before the first change, so a rejected update leaves
  // the document exactly as it was.
  IOT_ASSIGN(std::size_t desired_bytes,
             planned_size(doc.desired, update.desired, "state.desired", limits));
  IOT_ASSIGN(std::size_t reported_bytes,
             planned_size(doc.reported, update.reported, "state.reported", limits));
  if (desired_bytes + reported_bytes > limits.max_state_bytes) {
    return make_error(Errc::too_large,
                      "state: twin " + doc.id + " would hold " +
                          std::to_string(desired_bytes + reported_bytes) +
                          " bytes of desired + reported state, limit " +
                          std::to_string(limits.max_state_bytes));
  }

  const int64_t ts_ms = now_ns / 1'000'000;
  Changes changes;
  if (update.desired) {
    apply_section(doc.desired, doc.desired_metadata, *update.desired, "state.desired", ts_ms,
                  changes.changed_paths);
  }
  if (update.reported) {
    apply_section(doc.reported, doc.reported_metadata, *update.reported, "state.reported", ts_ms,
                  changes.changed_paths);
  }
  json delta = json::object();
  json delta_metadata = json::object();
  detail::compute_delta(doc.desired, doc.reported, doc.desired_metadata, delta, delta_metadata);
  changes.delta_changed = delta != doc.delta;
  doc.delta = std::move(delta);
  doc.version += 1;
  doc.updated_ms = ts_ms;
  changes.version = doc.version;
  if (update.desired && !doc.delta.empty()) {
    changes.delta_message = json{{"state", doc.delta},
                                 {"metadata", std::move(delta_metadata)},
                                 {"version", doc.version},
                                 {"timestamp", ts_ms}};
  }
  return changes;
}

json delta_message(const TwinDocument& doc) {
  if (doc.delta.empty()) return nullptr;
  json delta = json::object();
  json delta_metadata = json::object();
  detail::compute_delta(doc.desired, doc.reported, doc.desired_metadata, delta, delta_metadata);
  return json{{"state", std::move(delta)},
              {"metadata", std::move(delta_metadata)},
              {"version", doc.version},
              {"timestamp", doc.updated_ms}};
}

}  // namespace iotwins::twin
