#include "analytics/params.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace iotwins::analytics {
namespace {

const char* type_name(const ParamValue& v) {
  switch (v.index()) {
    case 0: return "a boolean";
    case 1: return "a number";
    case 2: return "a string";
    case 3: return "a list of numbers";
    default: return "a list of strings";
  }
}

Result<ParamValue> to_value(const nlohmann::json& j, const std::string& key) {
  if (j.is_boolean()) return ParamValue(j.get<bool>());
  if (j.is_number()) return ParamValue(j.get<double>());
  if (j.is_string()) return ParamValue(j.get<std::string>());
  if (j.is_array()) {
    if (j.empty()) return ParamValue(std::vector<std::string>{});
    if (j.front().is_number()) {
      std::vector<double> out;
      for (const auto& e : j) {
        if (!e.is_number()) {
          return make_error(Errc::invalid_argument,
                            "property '" + key + "': a list must hold only numbers or only strings");
        }
        out.push_back(e.get<double>());
      }
      return ParamValue(std::move(out));
    }
    std::vector<std::string> out;
    for (const auto& e : j) {
      if (!e.is_string()) {
        return make_error(Errc::invalid_argument,
                          "property '" + key + "': a list must hold only numbers or only strings");
      }
      out.push_back(e.get<std::string>());
    }
    return ParamValue(std::move(out));
  }
  return make_error(Errc::invalid_argument,
                    "property '" + key + "': nested objects and null are not supported");
}

Result<Params> from_object(const nlohmann::json& j, std::string where) {
  if (!j.is_object()) {
    return make_error(Errc::invalid_argument, (where.empty() ? "" : where + ": ") +
                                                  "expected a JSON object of properties");
  }
  std::map<std::string, ParamValue> values;
  for (const auto& [k, v] : j.items()) {
    auto value = to_value(v, k);
    if (!value) return std::unexpected(std::move(value.error()).context(where.empty() ? "params" : where));
    values.emplace(k, std::move(*value));
  }
  return Params(std::move(values), std::move(where));
}

}  // namespace

Result<Params> Params::from_json(std::string_view json, std::string where) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return make_error(Errc::invalid_argument, (where.empty() ? "" : where + ": ") + "invalid JSON");
  }
  return from_object(j, std::move(where));
}

Result<std::vector<Params>> Params::list_from_json(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(Errc::invalid_argument, "operators: invalid JSON");
  if (!j.is_array()) return make_error(Errc::invalid_argument, "operators: expected a JSON array");
  std::vector<Params> out;
  for (size_t i = 0; i < j.size(); ++i) {
    IOT_ASSIGN(Params p, from_object(j[i], "operator #" + std::to_string(i + 1)));
    out.push_back(std::move(p));
  }
  return out;
}

const ParamValue* Params::find(std::string_view key) const {
  auto it = values_.find(std::string(key));
  return it == values_.end() ? nullptr : &it->second;
}

std::unexpected<Error> Params::error(std::string_view key, std::string what) const {
  std::string msg = where_.empty() ? "" : where_ + ": ";
  msg += "property '" + std::string(key) + "': " + what;
  return make_error(Errc::invalid_argument, std::move(msg));
}

Result<double> Params::number(std::string_view key) const {
  const ParamValue* v = find(key);
  if (v == nullptr) return error(key, "is required");
  if (const double* d = std::get_if<double>(v)) {
    if (!std::isfinite(*d)) return error(key, "must be finite");
    return *d;
  }
  return error(key, std::string("expected a number, got ") + type_name(*v));
}

Result<double> Params::number(std::string_view key, double fallback) const {
  return has(key) ? number(key) : Result<double>(fallback);
}

Result<double> Params::number_in(std::string_view key, double fallback, double lo,
                                 double hi) const {
  IOT_ASSIGN(double v, number(key, fallback));
  if (v < lo || v > hi) {
    return error(key, "must be within [" + std::to_string(lo) + ", " + std::to_string(hi) +
                          "], got " + std::to_string(v));
  }
  return v;
}

Result<int> Params::integer(std::string_view key, int fallback, int lo, int hi) const {
  IOT_ASSIGN(double v, number(key, fallback));
  if (v != std::floor(v)) return error(key, "must be an integer");
  if (v < lo || v > hi) {
    return error(key, "must be within [" + std::to_string(lo) + ", " + std::to_string(hi) +
                          "], got " + std::to_string(static_cast<long long>(v)));
  }
  return static_cast<int>(v);
}

Result<bool> Params::boolean(std::string_view key, bool fallback) const {
  const ParamValue* v = find(key);
  if (v == nullptr) return fallback;
  if (const bool* b = std::get_if<bool>(v)) return *b;
  return error(key, std::string("expected a boolean, got ") + type_name(*v));
}

Result<std::string> Params::string(std::string_view key) const {
  const ParamValue* v = find(key);
  if (v == nullptr) return error(key, "is required");
  if (const std::string* s = std::get_if<std::string>(v)) return *s;
  return error(key, std::string("expected a string, got ") + type_name(*v));
}

Result<std::string> Params::string(std::string_view key, std::string fallback) const {
  return has(key) ? string(key) : Result<std::string>(std::move(fallback));
}

Result<std::string> Params::choice(std::string_view key, std::string fallback,
                                   std::initializer_list<std::string_view> choices) const {
  IOT_ASSIGN(std::string v, string(key, std::move(fallback)));
  std::string known;
  for (std::string_view c : choices) {
    if (c == v) return v;
    known += (known.empty() ? "" : ", ") + std::string(c);
  }
  return error(key, "unknown value '" + v + "' (one of: " + known + ")");
}

Result<std::vector<std::string>> Params::strings(std::string_view key) const {
  const ParamValue* v = find(key);
  if (v == nullptr) return std::vector<std::string>{};
  if (const std::string* s = std::get_if<std::string>(v)) return std::vector<std::string>{*s};
  if (const auto* l = std::get_if<std::vector<std::string>>(v)) return *l;
  return error(key, std::string("expected a list of strings, got ") + type_name(*v));
}

Status Params::check_known(std::initializer_list<std::string_view> known) const {
  for (const auto& [k, v] : values_) {
    bool found = false;
    for (std::string_view n : known) found = found || n == k;
    if (!found) {
      std::string list;
      for (std::string_view n : known) list += (list.empty() ? "" : ", ") + std::string(n);
      return error(k, "unknown property (known: " + list + ")");
    }
  }
  return ok();
}

}  // namespace iotwins::analytics
