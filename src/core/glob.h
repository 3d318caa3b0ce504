// Glob matching for names (twin ids, properties): '*' matches any run of characters, '?' one.
#pragma once

#include <string_view>

namespace iotwins {

// Iterative with one backtrack point: linear for the patterns names use.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace iotwins
