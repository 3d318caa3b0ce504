#include "simulation/yaml_map.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/config.h"

namespace iotwins::simulation {
namespace {

std::string format_number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string scalar_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "nothing";
}

std::optional<double> to_double(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

Result<YamlMap> from_root(YAML::Node root, const std::string& name) {
  auto file = std::make_shared<const std::string>(name);
  if (!root.IsMap()) {
    return make_error(Errc::invalid_argument, name + ": the document must be a mapping");
  }
  return YamlMap(root, file);
}

}  // namespace

bool Bounds::contains(double v) const {
  if (min_exclusive ? v <= min : v < min) return false;
  return v <= max;
}

std::string Bounds::describe() const {
  const bool has_min = min > -1e299;
  const bool has_max = max < 1e299;
  if (has_min && has_max) {
    return std::string(min_exclusive ? "in (" : "in [") + format_number(min) + ", " +
           format_number(max) + "]";
  }
  if (has_min) return std::string(min_exclusive ? "> " : ">= ") + format_number(min);
  if (has_max) return "<= " + format_number(max);
  return "a number";
}

Result<YamlMap> YamlMap::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(Errc::not_found, path + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

Result<YamlMap> YamlMap::parse(std::string_view text, const std::string& name) {
  try {
    return from_root(YAML::Load(std::string(text)), name);
  } catch (const YAML::Exception& e) {
    return make_error(Errc::invalid_argument, name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                                  std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

YamlMap::YamlMap(YAML::Node node, std::shared_ptr<const std::string> file)
    : node_(std::move(node)), file_(std::move(file)) {}

YamlMap YamlMap::layered_over(const YamlMap& base) const {
  YamlMap out = *this;
  out.base_ = std::make_shared<const YamlMap>(base);
  return out;
}

const std::string& YamlMap::file() const {
  static const std::string kUnknown = "<yaml>";
  return file_ ? *file_ : kUnknown;
}

std::optional<YamlMap::Found> YamlMap::find(std::string_view key) const {
  if (node_.IsMap()) {
    for (const auto& item : node_) {
      if (item.first.IsScalar() && item.first.Scalar() == key) return Found{item.second, this};
    }
  }
  if (base_) return base_->find(key);
  return std::nullopt;
}

bool YamlMap::has(std::string_view key) const {
  auto found = find(key);
  return found && !found->node.IsNull();
}

std::string YamlMap::where_node(const YAML::Node& node) const {
  const auto mark = node.Mark();
  if (mark.line < 0) return file();
  return file() + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::string YamlMap::where() const { return where_node(node_); }

std::unexpected<Error> YamlMap::error_at(std::string_view key, const std::string& message) const {
  auto found = find(key);
  const std::string location = found ? found->owner->where_node(found->node) : where();
  return make_error(Errc::invalid_argument,
                    location + ": key '" + std::string(key) + "': " + message);
}

Result<double> YamlMap::number(std::string_view key, Bounds bounds) const {
  auto found = find(key);
  if (!found || found->node.IsNull()) {
    return make_error(Errc::invalid_argument,
                      where() + ": missing key '" + std::string(key) + "' (a number " +
                          bounds.describe() + ")");
  }
  const YAML::Node& node = found->node;
  auto value = node.IsScalar() ? to_double(node.Scalar()) : std::nullopt;
  if (!value) {
    return error_at(key, "must be a number " + bounds.describe() + ", got " + scalar_text(node));
  }
  if (!bounds.contains(*value)) {
    return error_at(key, "must be " + bounds.describe() + ", got " + node.Scalar());
  }
  return *value;
}

Result<double> YamlMap::number(std::string_view key, Bounds bounds, double fallback) const {
  if (!has(key)) return fallback;
  return number(key, bounds);
}

Result<bool> YamlMap::flag(std::string_view key, bool fallback) const {
  if (!has(key)) return fallback;
  const YAML::Node node = find(key)->node;
  if (node.IsScalar()) {
    const std::string& t = node.Scalar();
    if (t == "true" || t == "yes" || t == "on") return true;
    if (t == "false" || t == "no" || t == "off") return false;
  }
  return error_at(key, "must be true or false, got " + scalar_text(node));
}

Result<std::string> YamlMap::text(std::string_view key) const {
  auto found = find(key);
  if (!found || found->node.IsNull()) {
    return make_error(Errc::invalid_argument, where() + ": missing key '" + std::string(key) + "'");
  }
  if (!found->node.IsScalar() || found->node.Scalar().empty()) {
    return error_at(key, "must be a non-empty text, got " + scalar_text(found->node));
  }
  return found->node.Scalar();
}

Result<std::string> YamlMap::text(std::string_view key, std::string fallback) const {
  if (!has(key)) return fallback;
  return text(key);
}

Result<std::string> YamlMap::choice(std::string_view key,
                                    std::initializer_list<std::string_view> choices,
                                    std::string fallback) const {
  IOT_ASSIGN(std::string value, text(key, std::move(fallback)));
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) return value;
  std::string allowed;
  for (auto c : choices) allowed += (allowed.empty() ? "" : ", ") + std::string(c);
  return error_at(key, "must be one of " + allowed + ", got " + value);
}

Result<double> YamlMap::seconds(std::string_view key, Bounds bounds, double fallback) const {
  if (!has(key)) return fallback;
  const YAML::Node node = find(key)->node;
  if (!node.IsScalar()) return error_at(key, "must be a duration, got " + scalar_text(node));
  double value = 0;
  if (auto plain = to_double(node.Scalar())) {
    value = *plain;
  } else {
    auto ms = parse_duration(node.Scalar());
    if (!ms) {
      return error_at(key, "must be a duration such as 90, 90s, 15m, 2h or 1d, got " +
                               node.Scalar());
    }
    value = static_cast<double>(ms->count()) / 1000.0;
  }
  if (!bounds.contains(value)) {
    return error_at(key, "must be " + bounds.describe() + " seconds, got " + node.Scalar());
  }
  return value;
}

Result<std::vector<std::string>> YamlMap::strings(std::string_view key) const {
  std::vector<std::string> out;
  if (!has(key)) return out;
  const YAML::Node node = find(key)->node;
  if (!node.IsSequence()) return error_at(key, "must be a list of names");
  for (const auto& item : node) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      return error_at(key, "every entry must be a non-empty name");
    }
    out.push_back(item.Scalar());
  }
  return out;
}

Result<YamlMap> YamlMap::child(std::string_view key) const {
  YamlMap out;
  out.file_ = file_;
  if (node_.IsMap()) {
    for (const auto& item : node_) {
      if (item.first.IsScalar() && item.first.Scalar() == key && !item.second.IsNull()) {
        if (!item.second.IsMap()) return error_at(key, "must be a mapping");
        out.node_ = item.second;
      }
    }
  }
  if (base_) {
    IOT_ASSIGN(YamlMap base_child, base_->child(key));
    out.base_ = std::make_shared<const YamlMap>(std::move(base_child));
  }
  if (!out.node_.IsDefined() || out.node_.IsNull()) out.node_ = YAML::Node(YAML::NodeType::Map);
  return out;
}

Result<std::vector<YamlMap>> YamlMap::children(std::string_view key) const {
  std::vector<YamlMap> out;
  if (!has(key)) return out;
  auto found = find(key);
  if (!found->node.IsSequence()) return error_at(key, "must be a list of mappings");
  for (const auto& item : found->node) {
    if (!item.IsMap()) {
      return make_error(Errc::invalid_argument,
                        found->owner->where_node(item) + ": every entry of '" + std::string(key) +
                            "' must be a mapping");
    }
    out.emplace_back(item, found->owner->file_);
  }
  return out;
}

std::vector<std::string> YamlMap::keys() const {
  std::vector<std::string> out;
  if (node_.IsMap()) {
    for (const auto& item : node_) out.push_back(item.first.Scalar());
  }
  if (base_) {
    for (auto& key : base_->keys()) {
      if (std::find(out.begin(), out.end(), key) == out.end()) out.push_back(std::move(key));
    }
  }
  return out;
}

Status YamlMap::only_keys(std::initializer_list<std::string_view> allowed) const {
  return only_keys(std::vector<std::string_view>(allowed));
}

Status YamlMap::only_keys(const std::vector<std::string_view>& allowed) const {
  for (const YamlMap* layer = this; layer != nullptr; layer = layer->base_.get()) {
    if (!layer->node_.IsMap()) continue;
    for (const auto& item : layer->node_) {
      const std::string key = item.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string known;
      for (auto a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
      return make_error(Errc::invalid_argument, layer->where_node(item.first) +
                                                    ": unknown key '" + key + "' (known: " +
                                                    known + ")");
    }
  }
  return ok();
}

}  // namespace iotwins::simulation
