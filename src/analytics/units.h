// Unit conversion between named units of one dimension (temperature, pressure, flow, ...).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace iotwins::analytics {

// value_in_to = value_in_from * scale + offset
struct Conversion {
  double scale = 1;
  double offset = 0;
  double apply(double v) const { return v * scale + offset; }
};

// Errors name the unknown unit or the two dimensions that do not match.
Result<Conversion> conversion(std::string_view from, std::string_view to);

}  // namespace iotwins::analytics
