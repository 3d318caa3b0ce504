// The records of the data plane (ARCHITECTURE.md §4): a sample is (series = twin + property,
// timestamp in ns, float64 value); an event is (twin, type, timestamp, JSON text).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.h"

namespace iotwins::dataplane {

struct Sample {
  std::string twin;
  std::string property;
  int64_t ts_ns = 0;
  double value = 0;
  bool operator==(const Sample&) const = default;
};

struct Event {
  std::string twin;
  std::string type;
  int64_t ts_ns = 0;
  std::string json;
  bool operator==(const Event&) const = default;
};

using Record = std::variant<Sample, Event>;

inline constexpr size_t kMaxTwinIdLength = 128;
inline constexpr size_t kMaxPropertyLength = 256;

// Twin ids: 1..128 characters of [A-Za-z0-9._:-]. The error names the offending character.
Status validate_twin_id(std::string_view id);
// Property names: 1..256 characters of [A-Za-z0-9._:-] (flattened objects use '.').
Status validate_property_name(std::string_view name, size_t max_length = kMaxPropertyLength);

}  // namespace iotwins::dataplane
