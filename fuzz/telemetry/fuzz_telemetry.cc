// libFuzzer target: the telemetry decoder on arbitrary topics and payloads. Checks, beyond
// "no crash", that every sample it accepts is well formed.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dataplane/codec/telemetry.h"

using namespace iotwins;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ManualClock clock(1'714'566'600'000'000'000);
  static dataplane::TelemetryDecoder decoder(clock, {.max_fields = 200, .max_depth = 4});
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first line is the topic, the rest the payload; without a newline, a fixed topic.
  std::string_view topic = "iotwins/fuzz-twin/telemetry";
  if (size_t nl = input.find('\n'); nl != std::string_view::npos && nl < 200) {
    topic = input.substr(0, nl);
    input.remove_prefix(nl + 1);
  }
  auto message = decoder.decode(topic, input);
  if (!message) return 0;
  for (const auto& s : message->samples) {
    if (!std::isfinite(s.value) || !dataplane::validate_property_name(s.property) ||
        s.twin != message->twin || s.ts_ns != message->ts_ns) {
      std::abort();
    }
  }
  if (message->samples.size() + message->rejected.size() > 200) std::abort();
  return 0;
}
