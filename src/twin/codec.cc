#include "twin/codec.h"

#include <string>

#include "twin/json_shape.h"
#include "twin/shadow.h"

namespace iotwins::twin {
namespace {

using nlohmann::json;

struct TooDeep {};

Result<std::string> optional_string(const json& value, const char* key) {
  auto it = value.find(key);
  if (it == value.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return make_error(Errc::invalid_argument,
                      std::string(key) + ": must be a string, got " + it->type_name());
  }
  return it->get<std::string>();
}

Result<int64_t> optional_int(const json& value, const char* key, int64_t fallback) {
  auto it = value.find(key);
  if (it == value.end()) return fallback;
  if (!it->is_number_integer() || (it->is_number_unsigned() && it->get<uint64_t>() > INT64_MAX) ||
      it->get<int64_t>() < 0) {
    return make_error(Errc::invalid_argument,
                      std::string(key) + ": must be a non-negative integer, got " +
                          it->dump(-1, ' ', false, json::error_handler_t::replace));
  }
  return it->get<int64_t>();
}

Status only_keys(const json& value, std::string_view where,
                 std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : value.items()) {
    bool known = false;
    for (auto a : allowed) known = known || a == k;
    if (!known) {
      std::string path = where.empty() ? k : std::string(where) + "." + k;
      return make_error(Errc::invalid_argument, path + ": unknown field");
    }
  }
  return ok();
}

// Reads state.<name> or metadata.<name>: an object checked against limits at `depth_offset`.
Result<json> read_section(const json& parent, const char* parent_name, const char* name,
                          int extra_depth, const Limits& limits) {
  auto it = parent.find(name);
  if (it == parent.end() || it->is_null()) return json::object();
  std::string path = std::string(parent_name) + "." + name;
  if (!it->is_object()) {
    return make_error(Errc::invalid_argument, path + ": must be an object, got " +
                                                  std::string(it->type_name()));
  }
  Limits section_limits = limits;
  section_limits.max_depth += extra_depth;
  IOT_TRY(detail::check_value(*it, path, 0, section_limits));
  return *it;
}

}  // namespace

json to_json(const TwinDocument& doc) {
  json out = json::object();
  out["id"] = doc.id;
  out["model"] = doc.model;
  out["level"] = doc.level == Level::unset ? json(nullptr) : json(level_name(doc.level));
  out["parent"] = doc.parent.empty() ? json(nullptr) : json(doc.parent);
  out["group"] = doc.group;
  out["attributes"] = doc.attributes;
  out["state"] = json{{"desired", doc.desired}, {"reported", doc.reported}, {"delta", doc.delta}};
  out["metadata"] = json{{"desired", doc.desired_metadata}, {"reported", doc.reported_metadata}};
  out["version"] = doc.version;
  out["updated"] = doc.updated_ms;
  return out;
}

Result<TwinDocument> twin_from_json(const json& value, const Limits& limits) {
  if (!value.is_object()) return make_error(Errc::invalid_argument, "twin: must be an object");
  IOT_TRY(only_keys(value, "", {"id", "model", "level", "parent", "group", "attributes", "state",
                                "metadata", "version", "updated"}));
  if (!value.contains("id")) return make_error(Errc::invalid_argument, "id: missing");
  IOT_ASSIGN(std::string id, optional_string(value, "id"));
  IOT_ASSIGN(std::string model, optional_string(value, "model"));
  IOT_ASSIGN(std::string level_text, optional_string(value, "level"));
  auto level = parse_level(level_text);
  if (!level) return std::unexpected(std::move(level.error()).context("level"));
  IOT_ASSIGN(std::string parent, optional_string(value, "parent"));
  json attributes = value.contains("attributes") ? value["attributes"] : json::object();
  IOT_ASSIGN(int64_t version, optional_int(value, "version", 1));
  IOT_ASSIGN(int64_t updated, optional_int(value, "updated", 0));
  IOT_ASSIGN(TwinDocument doc, make_twin(std::move(id), std::move(model), *level,
                                         std::move(parent), std::move(attributes), 0, limits));
  doc.version = version;
  doc.updated_ms = updated;
  IOT_ASSIGN(std::string group, optional_string(value, "group"));
  if (!group.empty()) {
    IOT_TRY(validate_twin_group(group));
    doc.group = std::move(group);
  }

  static const json kEmpty = json::object();
  const json& state = value.contains("state") ? value["state"] : kEmpty;
  const json& metadata = value.contains("metadata") ? value["metadata"] : kEmpty;
  if (!state.is_object()) return make_error(Errc::invalid_argument, "state: must be an object");
  if (!metadata.is_object()) {
    return make_error(Errc::invalid_argument, "metadata: must be an object");
  }
  IOT_TRY(only_keys(state, "state", {"desired", "reported", "delta"}));
  IOT_TRY(only_keys(metadata, "metadata", {"desired", "reported"}));
  IOT_ASSIGN(doc.desired, read_section(state, "state", "desired", 0, limits));
  IOT_ASSIGN(doc.reported, read_section(state, "state", "reported", 0, limits));
  // A leaf's metadata adds one level: {"timestamp": ms}.
  IOT_ASSIGN(doc.desired_metadata, read_section(metadata, "metadata", "desired", 1, limits));
  IOT_ASSIGN(doc.reported_metadata, read_section(metadata, "metadata", "reported", 1, limits));
  const std::size_t bytes = detail::json_size(doc.desired) + detail::json_size(doc.reported);
  if (bytes > limits.max_state_bytes) {
    return make_error(Errc::too_large, "state: " + std::to_string(bytes) +
                                           " bytes of desired + reported state, limit " +
                                           std::to_string(limits.max_state_bytes));
  }
  json delta_metadata = json::object();
  detail::compute_delta(doc.desired, doc.reported, doc.desired_metadata, doc.delta,
                        delta_metadata);
  return doc;
}

Result<StateUpdate> parse_update(const json& body) {
  if (!body.is_object()) {
    return make_error(Errc::invalid_argument,
                      std::string("update: must be an object, got ") + body.type_name());
  }
  IOT_TRY(only_keys(body, "", {"state", "version", "clientToken"}));
  auto state = body.find("state");
  if (state == body.end()) return make_error(Errc::invalid_argument, "state: missing");
  if (!state->is_object()) {
    return make_error(Errc::invalid_argument,
                      std::string("state: must be an object, got ") + state->type_name());
  }
  IOT_TRY(only_keys(*state, "state", {"desired", "reported"}));
  StateUpdate update;
  for (const char* name : {"desired", "reported"}) {
    auto it = state->find(name);
    if (it == state->end()) continue;
    if (!it->is_object() && !it->is_null()) {
      return make_error(Errc::invalid_argument, std::string("state.") + name +
                                                    ": must be an object or null, got " +
                                                    it->type_name());
    }
    (std::string_view(name) == "desired" ? update.desired : update.reported) = *it;
  }
  if (!update.desired && !update.reported) {
    return make_error(Errc::invalid_argument, "state: has neither desired nor reported");
  }
  if (body.contains("version")) {
    IOT_ASSIGN(update.expected_version, optional_int(body, "version", 0));
  }
  if (auto token = body.find("clientToken"); token != body.end() && !token->is_string()) {
    return make_error(Errc::invalid_argument, "clientToken: must be a string");
  }
  return update;
}

Result<json> parse_json_text(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_text_bytes) {
    return make_error(Errc::too_large, "JSON text is " + std::to_string(text.size()) +
                                           " bytes, limit " +
                                           std::to_string(limits.max_text_bytes));
  }
  const int max_depth = limits.max_depth + 4;
  try {
    // The callback sees the depth of every container as it opens; refusing there keeps deep
    // input away from recursive code (ours and nlohmann's dump/compare/copy).
    return json::parse(text.begin(), text.end(),
                       [max_depth](int depth, json::parse_event_t event, json&) {
                         if ((event == json::parse_event_t::object_start ||
                              event == json::parse_event_t::array_start) &&
                             depth >= max_depth) {
                           throw TooDeep{};
                         }
                         return true;
                       });
  } catch (const TooDeep&) {
    return make_error(Errc::too_large, "JSON text nests deeper than " +
                                           std::to_string(max_depth) + " levels");
  } catch (const json::parse_error& e) {
    return make_error(Errc::invalid_argument,
                      "JSON text: syntax error at byte " + std::to_string(e.byte) + ": " +
                          std::string(e.what()));
  } catch (const json::exception& e) {
    // e.g. out_of_range 406: a number literal beyond double range ("1e999").
    return make_error(Errc::invalid_argument, std::string("JSON text: ") + e.what());
  }
}

}  // namespace iotwins::twin
