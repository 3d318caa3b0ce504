// parse_model: JSON or YAML text to a TwinModel. YAML is converted to JSON while remembering
// where each path came from, so one validator serves both and YAML errors get line:column.
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <map>

#include "twin/model.h"

namespace iotwins::twin {
namespace {

using nlohmann::json;

constexpr int kMaxYamlDepth = 32;
// Aliases let a small YAML text expand exponentially; the converted model is capped.
constexpr std::size_t kMaxYamlNodes = 100'000;

struct Where {
  int line = 0;
  int column = 0;
};

struct Converter {
  std::map<std::string, Where> marks;
  std::size_t nodes = 0;

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  Result<json> scalar(const YAML::Node& n) {
    const std::string& text = n.Scalar();
    if (n.Tag() == "!") return json(text);  // quoted: always a string
    if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
      return json(nullptr);
    }
    if (text == "true" || text == "True" || text == "TRUE") return json(true);
    if (text == "false" || text == "False" || text == "FALSE") return json(false);
    const char* begin = text.data();
    const char* end = begin + text.size();
    const char* digits = begin + (text[0] == '+' || text[0] == '-' ? 1 : 0);
    if (digits < end && ((*digits >= '0' && *digits <= '9') || *digits == '.')) {
      int64_t i = 0;
      auto [pi, ei] = std::from_chars(text[0] == '+' ? begin + 1 : begin, end, i);
      if (ei == std::errc() && pi == end) return json(i);
      double d = 0;
      auto [pd, ed] = std::from_chars(text[0] == '+' ? begin + 1 : begin, end, d);
      if (ed == std::errc() && pd == end) return json(d);
    }
    return json(text);
  }

  Result<json> convert(const YAML::Node& n, const std::string& path, int depth) {
    if (++nodes > kMaxYamlNodes) {
      return make_error(Errc::too_large, "model has more than " +
                                             std::to_string(kMaxYamlNodes) +
                                             " YAML nodes (aliases expand)");
    }
    if (depth > kMaxYamlDepth) {
      return make_error(Errc::too_large, path + ": nested deeper than " +
                                             std::to_string(kMaxYamlDepth) + " levels");
    }
    marks.emplace(path, Where{n.Mark().line + 1, n.Mark().column + 1});
    switch (n.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined: return json(nullptr);
      case YAML::NodeType::Scalar: return scalar(n);
      case YAML::NodeType::Sequence: {
        json out = json::array();
        std::size_t i = 0;
        for (const auto& item : n) {
          IOT_ASSIGN(json v, convert(item, join(path, std::to_string(i++)), depth + 1));
          out.push_back(std::move(v));
        }
        return out;
      }
      case YAML::NodeType::Map: {
        json out = json::object();
        for (const auto& item : n) {
          if (!item.first.IsScalar()) {
            return make_error(Errc::invalid_argument,
                              join(path, "?") + ": keys must be plain strings" +
                                  at(item.first.Mark().line + 1, item.first.Mark().column + 1));
          }
          const std::string key = item.first.Scalar();
          const std::string sub = join(path, key);
          if (out.contains(key)) {
            return make_error(Errc::invalid_argument,
                              sub + ": duplicate key" +
                                  at(item.first.Mark().line + 1, item.first.Mark().column + 1));
          }
          marks.emplace(sub, Where{item.first.Mark().line + 1, item.first.Mark().column + 1});
          IOT_ASSIGN(json v, convert(item.second, sub, depth + 1));
          out[key] = std::move(v);
        }
        return out;
      }
    }
    return json(nullptr);
  }

  static std::string at(int line, int column) {
    return " (line " + std::to_string(line) + ":" + std::to_string(column) + ")";
  }

  // Appends the position of the longest known prefix of the error's path.
  Error locate(Error error) const {
    const std::string& msg = error.message();
    const std::size_t colon = msg.find(": ");
    if (colon == std::string::npos || msg.ends_with(")")) return error;
    std::string path = msg.substr(0, colon);
    while (true) {
      auto it = marks.find(path);
      if (it != marks.end()) {
        return Error(error.code(), msg + at(it->second.line, it->second.column));
      }
      const std::size_t dot = path.rfind('.');
      if (dot == std::string::npos) return error;
      path.resize(dot);
    }
  }
};

}  // namespace

Result<TwinModel> parse_model(std::string_view text, ModelFormat format) {
  if (text.size() > kMaxModelBytes) {
    return make_error(Errc::too_large, "model is " + std::to_string(text.size()) +
                                           " bytes, limit " + std::to_string(kMaxModelBytes));
  }
  if (format == ModelFormat::automatic) {
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    format = first != std::string_view::npos && text[first] == '{' ? ModelFormat::json
                                                                    : ModelFormat::yaml;
  }
  if (format == ModelFormat::json) {
    json value;
    try {
      value = json::parse(text);
    } catch (const json::parse_error& e) {
      return make_error(Errc::invalid_argument,
                        "model JSON: syntax error at byte " + std::to_string(e.byte));
    }
    return model_from_json(value);
  }
  Converter converter;
  Result<json> value = json(nullptr);
  try {
    YAML::Node root = YAML::Load(std::string(text));
    value = converter.convert(root, "", 0);
  } catch (const YAML::Exception& e) {
    return make_error(Errc::invalid_argument,
                      "model YAML: " + e.msg + Converter::at(e.mark.line + 1, e.mark.column + 1));
  }
  if (!value) return std::unexpected(converter.locate(std::move(value.error())));
  auto model = model_from_json(*value);
  if (!model) return std::unexpected(converter.locate(std::move(model.error())));
  return model;
}

}  // namespace iotwins::twin
