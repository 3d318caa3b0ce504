// libFuzzer target: update documents from untrusted text (REST bodies, MQTT payloads) through
// the bounded parser, the request codec and apply_update, checking the invariants that must
// hold after every accepted or refused update.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "twin/codec.h"
#include "twin/document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static constexpr int64_t kT0 = 1'700'000'000'000'000'000;
  iotwins::twin::Limits limits;
  limits.max_state_bytes = 4096;  // small, so the size limit is reached too
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = *iotwins::twin::make_twin("pump-1", "Pump", iotwins::twin::Level::iot, "", {}, kT0);
  (void)iotwins::twin::apply_update(
      doc, {.desired = nlohmann::json{{"speed", 1500}, {"pump", {{"mode", "auto"}}}},
            .reported = nlohmann::json{{"speed", 1400}}},
      kT0, limits);
  auto body = iotwins::twin::parse_json_text(text, limits);
  if (!body) return 0;
  // The text may be a full update request or (as on iotwins/<twin>/reported) a bare state.
  auto update = iotwins::twin::parse_update(*body);
  if (!update && body->is_object()) update = iotwins::twin::StateUpdate{.reported = *body};
  if (!update) return 0;
  const auto before = iotwins::twin::to_json(doc);
  auto changes = iotwins::twin::apply_update(doc, *update, kT0 + 1'000'000, limits);
  if (!changes) {
    if (iotwins::twin::to_json(doc) != before) std::abort();  // refused: nothing changed
    return 0;
  }
  if (doc.version != before["version"].get<int64_t>() + 1) std::abort();
  // The document must survive its own codec, limits included.
  auto again = iotwins::twin::twin_from_json(iotwins::twin::to_json(doc), limits);
  if (!again || iotwins::twin::to_json(*again) != iotwins::twin::to_json(doc)) std::abort();
  return 0;
}
