// YamlMap: typed, validated reads of one YAML mapping, with errors that say where
// ("plant.yaml:12:7: key 'area_m2': must be > 0, got -3"). A map may be layered over a base
// (an asset's inline keys over its parameter file), so a key is looked up inline first and
// each error still names the file and line the value came from. yaml-cpp exceptions stop here.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins::simulation {

// Inclusive or exclusive bounds of a number, with their text for error messages.
struct Bounds {
  double min = -1e300;
  double max = 1e300;
  bool min_exclusive = false;
  static Bounds any() { return {}; }
  static Bounds positive() { return {0.0, 1e300, true}; }
  static Bounds non_negative() { return {0.0, 1e300, false}; }
  static Bounds range(double lo, double hi) { return {lo, hi, false}; }
  static Bounds fraction() { return {0.0, 1.0, false}; }
  bool contains(double v) const;
  std::string describe() const;
};

class YamlMap {
 public:
  // Parses a whole file; its root must be a mapping.
  static Result<YamlMap> load_file(const std::string& path);
  // Parses text (tests, the API); `name` stands for the file in errors.
  static Result<YamlMap> parse(std::string_view text, const std::string& name);

  YamlMap() = default;
  YamlMap(YAML::Node node, std::shared_ptr<const std::string> file);

  // Keys missing here are taken from `base`.
  YamlMap layered_over(const YamlMap& base) const;

  bool has(std::string_view key) const;
  Result<double> number(std::string_view key, Bounds bounds) const;
  Result<double> number(std::string_view key, Bounds bounds, double fallback) const;
  Result<bool> flag(std::string_view key, bool fallback) const;
  Result<std::string> text(std::string_view key) const;
  Result<std::string> text(std::string_view key, std::string fallback) const;
  // One of `choices`.
  Result<std::string> choice(std::string_view key, std::initializer_list<std::string_view> choices,
                             std::string fallback) const;
  // A duration in seconds: a number (seconds) or text such as "90s", "15m", "2h", "1d".
  Result<double> seconds(std::string_view key, Bounds bounds, double fallback) const;
  // A sequence of strings (a missing key is an empty list).
  Result<std::vector<std::string>> strings(std::string_view key) const;
  // A nested mapping (layered the same way); a missing key gives an empty map.
  Result<YamlMap> child(std::string_view key) const;
  // A sequence of mappings (a missing key is an empty list).
  Result<std::vector<YamlMap>> children(std::string_view key) const;
  // Every key of the map (inline and base), in file order, inline first.
  std::vector<std::string> keys() const;

  // Rejects keys outside `allowed`, so a typo is an error instead of a silent default.
  Status only_keys(std::initializer_list<std::string_view> allowed) const;
  Status only_keys(const std::vector<std::string_view>& allowed) const;

  // "file:line:col" of the map itself, and an error located at `key` (or at the map).
  std::string where() const;
  std::unexpected<Error> error_at(std::string_view key, const std::string& message) const;
  const std::string& file() const;

 private:
  struct Found {
    YAML::Node node;
    const YamlMap* owner;
  };
  std::optional<Found> find(std::string_view key) const;
  std::string where_node(const YAML::Node& node) const;

  YAML::Node node_;
  std::shared_ptr<const std::string> file_;
  std::shared_ptr<const YamlMap> base_;
};

}  // namespace iotwins::simulation
