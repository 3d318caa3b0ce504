// libFuzzer target: payloads of iotwins/<twin>/desired/delta as the simulated devices receive
// them (MqttDevice::on_message -> parse_delta), on libmosquitto's network thread, where an
// exception would end the process. Also the broker URL parser, which reads user flags.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "simulation/mqtt_device.h"

using namespace iotwins::simulation;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto delta = parse_delta("pump-1", text);
  if (delta) {
    if (size > MqttDevice::kMaxDeltaBytes || !delta->state.is_object() || delta->twin != "pump-1") std::abort();
    (void)delta->state.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  auto url = parse_broker_url(text);
  if (url && (url->port <= 0 || url->port > 65535 || url->host.empty())) std::abort();
  return 0;
}
