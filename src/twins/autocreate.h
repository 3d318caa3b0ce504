// Which twin ids the data plane may create when telemetry or reported state arrives for a twin
// that does not exist yet, and with which model: an ordered list of `glob=model` rules, the first
// matching rule wins ("pump-*=Pump,valve-*=Valve,*="; an empty model creates a twin without one).
// No rule (strict mode) creates nothing: data for unknown twins is still stored as series, but no
// twin appears until one is PUT.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/glob.h"
#include "core/result.h"

namespace iotwins::twins {

struct AutoCreateRule {
  std::string pattern;  // glob over the twin id: '*' any run, '?' one character
  std::string model;    // "" → no model
};

struct AutoCreateRules {
  std::vector<AutoCreateRule> rules;
  // Every unknown id is created, without a model (the embedded default).
  static AutoCreateRules permissive() { return {{{"*", ""}}}; }
  static AutoCreateRules strict() { return {}; }
  // "" or "strict" → strict; otherwise comma-separated `glob=model` (or a bare glob → no model).
  static Result<AutoCreateRules> parse(std::string_view text);
  // The rule for `id`, or nullptr when no rule matches.
  const AutoCreateRule* match(std::string_view id) const;
};

using ::iotwins::glob_match;  // core/glob.h

}  // namespace iotwins::twins
