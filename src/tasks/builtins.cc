#include "tasks/builtins.h"

#include <mutex>

namespace iotwins::tasks {

void register_builtin_tasks() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& registry = runtime::builtin_tasks();
    const std::pair<const char*, runtime::BuiltinRegistry::Factory> factories[] = {
        {kDataFilter, make_data_filter},
        {kInference, make_inference},
        {kTraining, make_training},
        {kSimulation, make_simulation},
        {kMqttBroker, make_mqtt_broker_service},
        {kTimeSeriesStore, make_time_series_store_service},
    };
    // Skips a name already taken (a test may have registered its own before).
    for (const auto& [name, factory] : factories) {
      if (!registry.contains(name)) (void)registry.add(name, factory);
    }
  });
}

}  // namespace iotwins::tasks
