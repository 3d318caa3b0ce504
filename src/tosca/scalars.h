// The TOSCA special types that are written as text: scalar-units, timestamps, versions and
// ranges. Each parser returns nullopt on bad text and, where asked, why.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tosca/value.h"

namespace iotwins::tosca {

enum class ScalarUnitKind { size, time, frequency, bitrate };

struct ScalarUnit {
  double number = 0;   // as written
  std::string unit;    // as written
  double base = 0;     // in the base unit: bytes, seconds, hertz, bits per second
};

// "10 GB", "500ms", "2.5 GHz". Units are case-insensitive except for bitrate, where
// b (bits) and B (bytes) differ.
std::optional<ScalarUnit> parse_scalar_unit(std::string_view text, ScalarUnitKind kind);
std::optional<ScalarUnitKind> scalar_unit_kind(std::string_view type_name);
// The units accepted for a kind, for messages: "B, kB, KiB, ...".
std::string scalar_units_list(ScalarUnitKind kind);

// YAML/ISO 8601 timestamps: "2024-03-01", "2024-03-01T10:00:00Z", "2001-12-14 21:59:43.10 -5".
// Returns seconds since the Unix epoch (UTC).
std::optional<double> parse_timestamp(std::string_view text);

struct Version {
  int64_t major = 0, minor = 0, fix = 0;
  std::string qualifier;
  int64_t build = 0;
};
// <major>.<minor>[.<fix>[.<qualifier>[-<build>]]]
std::optional<Version> parse_version(std::string_view text);
int compare_versions(const Version& a, const Version& b);

struct Range {
  int64_t min = 0;
  int64_t max = 0;  // kUnbounded for UNBOUNDED
  static constexpr int64_t kUnbounded = INT64_MAX;
};
// [min, max] as a YAML list; max may be UNBOUNDED. Error text in *why.
std::optional<Range> parse_range(const Value& v, std::string* why = nullptr);

}  // namespace iotwins::tosca
