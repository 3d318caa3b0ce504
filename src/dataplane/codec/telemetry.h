// Decoder of device telemetry (untrusted MQTT payloads on `iotwins/<twin>/telemetry`).
//
// A payload is a JSON object of numbers. Nested objects flatten to dotted property names
// ({"motor":{"rpm":1}} -> "motor.rpm"), booleans become 0/1. A field that cannot be a sample
// (a string, array, null, a non-finite number, a bad or duplicate name, nested too deep) is
// rejected on its own, with a reason, and the others are kept. A top-level "ts" gives the time
// of every sample: milliseconds since the epoch (a number) or an RFC 3339 string; without it
// the samples get the clock's time. Anything wrong with the message as a whole (not JSON, not
// an object, too big, too many fields, a bad or implausible "ts", a bad twin id) is an Error
// that names what and where.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "dataplane/codec/records.h"

namespace simdjson::dom {
class parser;
}

namespace iotwins::dataplane {

struct TelemetryLimits {
  size_t max_payload_bytes = 64 * 1024;
  size_t max_fields = 1000;  // leaves, accepted or rejected
  size_t max_property_length = 128;
  size_t max_depth = 8;  // nesting of objects, the top level being 1
  // Accepted timestamps: from min_ts_ns to the clock's now + max_future.
  int64_t min_ts_ns = 946'684'800'000'000'000;  // 2000-01-01T00:00:00Z
  std::chrono::nanoseconds max_future = std::chrono::hours(24);
};

struct FieldRejection {
  std::string field;  // the flattened name, made printable
  std::string reason;
  bool operator==(const FieldRejection&) const = default;
};

struct TelemetryMessage {
  std::string twin;
  int64_t ts_ns = 0;
  std::vector<Sample> samples;  // in payload order
  std::vector<FieldRejection> rejected;
};

// The twin id of a telemetry topic "iotwins/<twin>/telemetry", validated.
Result<std::string> twin_from_telemetry_topic(std::string_view topic);

// "2024-05-01T12:30:00.250+02:00" -> ns since the epoch. Accepts 't'/' ' for 'T', 'z' for
// 'Z', up to 9 fraction digits (more are truncated), second 60 (a leap second).
Result<int64_t> parse_rfc3339(std::string_view text);

// Not thread-safe: it reuses its parser's buffers. Use one per thread.
class TelemetryDecoder {
 public:
  explicit TelemetryDecoder(const Clock& clock, TelemetryLimits limits = {});
  ~TelemetryDecoder();
  TelemetryDecoder(TelemetryDecoder&&) noexcept;
  TelemetryDecoder& operator=(TelemetryDecoder&&) noexcept;

  Result<TelemetryMessage> decode(std::string_view topic, std::string_view payload);
  Result<TelemetryMessage> decode_for_twin(std::string_view twin, std::string_view payload);

 private:
  const Clock* clock_;
  TelemetryLimits limits_;
  std::unique_ptr<simdjson::dom::parser> parser_;
};

}  // namespace iotwins::dataplane
