// Checking state and attributes against a twin model.
#include <cmath>

#include "twin/model.h"

namespace iotwins::twin {
namespace {

using nlohmann::json;

// Longer strings are refused before std::regex sees them: its backtracking matcher recurses
// per character.
constexpr std::size_t kMaxPatternInput = 1024;

std::string number_text(double d) {
  json j = d;
  if (d == std::floor(d) && std::fabs(d) < 1e15) j = static_cast<int64_t>(d);
  return j.dump();
}

// Values in error messages: shortened, and safe for strings that are not valid UTF-8.
std::string show(const json& v) {
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

Status check_value(const TwinModel& model, const Property& p, const json& v,
                   const std::string& path) {
  auto fail = [&](std::string why) {
    return make_error(Errc::invalid_argument, path + ": " + why + " (property " + p.name +
                                                  " of model " + model.id + ")");
  };
  switch (p.type) {
    case PropertyType::number:
      if (!v.is_number()) return fail(show(v) + " is not a number");
      break;
    case PropertyType::integer:
      if (!v.is_number_integer() &&
          !(v.is_number_float() && std::isfinite(v.get<double>()) &&
            v.get<double>() == std::floor(v.get<double>()))) {
        return fail(show(v) + " is not an integer");
      }
      break;
    case PropertyType::boolean:
      if (!v.is_boolean()) return fail(show(v) + " is not a boolean");
      break;
    case PropertyType::string:
      if (!v.is_string()) return fail(show(v) + " is not a string");
      break;
  }
  if (v.is_number()) {
    const double d = v.get<double>();
    if (p.min && d < *p.min) return fail(show(v) + " is below the minimum " + number_text(*p.min));
    if (p.max && d > *p.max) return fail(show(v) + " is above the maximum " + number_text(*p.max));
  }
  if (!p.allowed.empty()) {
    bool found = false;
    for (const auto& a : p.allowed) found = found || a == v;
    if (!found) return fail(show(v) + " is not one of " + show(json(p.allowed)));
  }
  if (p.regex) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.size() > kMaxPatternInput) {
      return fail("string of " + std::to_string(s.size()) + " bytes is longer than the " +
                  std::to_string(kMaxPatternInput) + " a pattern is checked against");
    }
    if (!std::regex_match(s, *p.regex)) {
      return fail(show(v) + " does not match the pattern " + p.pattern);
    }
  }
  return ok();
}

bool is_prefix_of_any(const std::vector<Property>& props, const std::string& name) {
  for (const auto& p : props) {
    if (p.name.size() > name.size() && p.name.starts_with(name) && p.name[name.size()] == '.') {
      return true;
    }
  }
  return false;
}

// Walks an update; `name` is the dotted property name so far. strict: unknown keys are errors.
Status walk(const TwinModel& model, const std::vector<Property>& props, const json& update,
            const std::string& name, const std::string& path, bool strict, const char* what,
            int depth) {
  for (const auto& [k, v] : update.items()) {
    const std::string n = name.empty() ? k : name + "." + k;
    const std::string p = path + "." + k;
    const Property* prop = nullptr;
    for (const auto& candidate : props) {
      if (candidate.name == n) prop = &candidate;
    }
    if (prop != nullptr) {
      if (!v.is_null()) IOT_TRY(check_value(model, *prop, v, p));
    } else if (v.is_object() && depth < 16 && is_prefix_of_any(props, n)) {
      IOT_TRY(walk(model, props, v, n, p, strict, what, depth + 1));
    } else if (strict && !v.is_null()) {
      return make_error(Errc::invalid_argument, p + ": model " + model.id + " has no " + what +
                                                    " property '" + n + "'");
    }
  }
  return ok();
}

const json* find_path(const json& root, const std::string& dotted) {
  const json* at = &root;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted.find('.', start);
    const std::string key = dotted.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
    if (dot == std::string::npos) return at;
    start = dot + 1;
  }
}

}  // namespace

Status validate_desired(const TwinModel& model, const json& update) {
  if (!update.is_object()) return ok();  // null deletes all desired state
  return walk(model, model.desired, update, "", "state.desired", true, "desired", 0);
}

Status validate_reported(const TwinModel& model, const json& update) {
  if (!update.is_object()) return ok();
  return walk(model, model.telemetry, update, "", "state.reported", false, "telemetry", 0);
}

Status validate_attributes(const TwinModel& model, const json& attributes) {
  if (!attributes.is_object()) {
    return make_error(Errc::invalid_argument, "attributes: must be an object");
  }
  for (const auto& p : model.attributes) {
    if (p.required && find_path(attributes, p.name) == nullptr) {
      return make_error(Errc::invalid_argument, "attributes." + p.name +
                                                    ": required by model " + model.id);
    }
  }
  return walk(model, model.attributes, attributes, "", "attributes", false, "attribute", 0);
}

}  // namespace iotwins::twin
