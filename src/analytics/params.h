// Params: the typed view of a configuration map (a TOSCA property block such as
// `{type: deadband, band: 0.5}`) that operators and detectors are built from. Every error names
// the component and the property: "operator #2 'deadband': property 'band': must be >= 0".
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace iotwins::analytics {

using ParamValue =
    std::variant<bool, double, std::string, std::vector<double>, std::vector<std::string>>;

class Params {
 public:
  Params() = default;
  explicit Params(std::map<std::string, ParamValue> values, std::string where = "")
      : values_(std::move(values)), where_(std::move(where)) {}

  // Parses a JSON object of scalars and arrays of scalars (nested objects are refused).
  static Result<Params> from_json(std::string_view json, std::string where = "");
  // Parses a JSON array of such objects, e.g. a DataFilter's `operators` list.
  static Result<std::vector<Params>> list_from_json(std::string_view json);

  void set(const std::string& key, ParamValue v) { values_[key] = std::move(v); }
  // Where these params come from, prefixed to every error ("operator #2 'deadband'").
  void set_where(std::string where) { where_ = std::move(where); }
  const std::string& where() const { return where_; }

  bool has(std::string_view key) const { return values_.find(std::string(key)) != values_.end(); }
  Result<double> number(std::string_view key) const;
  Result<double> number(std::string_view key, double fallback) const;
  // A number within [lo, hi].
  Result<double> number_in(std::string_view key, double fallback, double lo, double hi) const;
  Result<int> integer(std::string_view key, int fallback, int lo, int hi) const;
  Result<bool> boolean(std::string_view key, bool fallback) const;
  Result<std::string> string(std::string_view key) const;
  Result<std::string> string(std::string_view key, std::string fallback) const;
  // One of `choices`.
  Result<std::string> choice(std::string_view key, std::string fallback,
                             std::initializer_list<std::string_view> choices) const;
  // A list of strings; a single string counts as a list of one.
  Result<std::vector<std::string>> strings(std::string_view key) const;

  // Refuses keys not in `known`, so a typo ("bnad") is an error rather than a silent default.
  Status check_known(std::initializer_list<std::string_view> known) const;

  // An error about `key`, in the standard form.
  std::unexpected<Error> error(std::string_view key, std::string what) const;

 private:
  const ParamValue* find(std::string_view key) const;
  std::map<std::string, ParamValue> values_;
  std::string where_;
};

}  // namespace iotwins::analytics
