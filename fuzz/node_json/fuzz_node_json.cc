// libFuzzer target: the node documents agents send (POST /api/v1/nodes registrations,
// PUT …/heartbeat bodies) and the stored node records read back, through the strict model
// decoders. Whatever decodes must encode to JSON that decodes to the same value again.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/json.h"

using namespace iotwins::model;

namespace {

// decode(encode(x)) must succeed and encode to the same JSON as x.
template <typename Decode>
void round_trip(const nlohmann::json& encoded, Decode decode) {
  auto again = decode(encoded);
  if (!again || to_json(*again) != encoded) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  if (auto reg = registration_from_json(j)) round_trip(to_json(*reg), registration_from_json);
  if (auto hb = heartbeat_from_json(j)) round_trip(to_json(*hb), heartbeat_from_json);
  if (auto node = node_from_json(j)) round_trip(to_json(*node), node_from_json);
  if (auto kpis = kpis_from_json(j)) round_trip(to_json(*kpis), kpis_from_json);
  return 0;
}
