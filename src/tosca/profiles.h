// Built-in profiles, embedded as YAML text and parsed at first use by the same parser and
// checks as user files.
#pragma once

#include <string_view>

namespace iotwins::tosca {

// The TOSCA 1.3 normative types; every service template imports them implicitly.
std::string_view normative_profile_yaml();
// The iotwins profile; imported by name: `imports: [iotwins]`.
std::string_view iotwins_profile_yaml();

// The text of a built-in profile by import name ("iotwins", "tosca-normative"), or empty.
std::string_view builtin_profile(std::string_view name);

}  // namespace iotwins::tosca
