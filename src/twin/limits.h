// Size and shape limits of twin documents. Every document and update is checked against them
// before anything changes, and a violation names the offending path.
#pragma once

#include <cstddef>

namespace iotwins::twin {

struct Limits {
  // Compact JSON bytes of state.desired + state.reported (metadata and delta excluded, as AWS
  // IoT counts a shadow's size).
  std::size_t max_state_bytes = 64 * 1024;
  // Compact JSON bytes of the attributes object.
  std::size_t max_attributes_bytes = 16 * 1024;
  // Keys or array indexes below desired/reported/attributes: {"a":{"b":1}} has depth 2.
  int max_depth = 8;
  std::size_t max_keys_per_object = 256;
  std::size_t max_key_bytes = 128;
  // Bytes of a JSON text handed to parse_json_text (a REST body or an MQTT payload).
  std::size_t max_text_bytes = 256 * 1024;
};

}  // namespace iotwins::twin
