// The builtin tasks of the iotwins TOSCA types: what an agent runs for the tasks and services of a
// computing chain (issue #8). register_builtin_tasks() puts one factory per type, under the type's
// name, into runtime::builtin_tasks(); the orchestrator names the type in a TaskSpec's `builtin` and
// gives the node template's properties (+ "twins": the twin ids of its `twin` requirements) as the
// config. The config keys and what each task does: src/tasks/README.md and docs/analytics.md.
#pragma once

#include <memory>

#include "core/result.h"
#include "runtime/builtin.h"

namespace iotwins::tasks {

inline constexpr const char* kDataFilter = "iotwins.nodes.Task.DataFilter";
inline constexpr const char* kInference = "iotwins.nodes.Task.Inference";
inline constexpr const char* kTraining = "iotwins.nodes.Task.Training";
inline constexpr const char* kSimulation = "iotwins.nodes.Task.Simulation";
inline constexpr const char* kMqttBroker = "iotwins.nodes.Service.MQTTBroker";
inline constexpr const char* kTimeSeriesStore = "iotwins.nodes.Service.TimeSeriesStore";

// Idempotent and thread-safe: the agent calls it at start-up, tests as often as they like.
void register_builtin_tasks();

// The factories (each checks its config: a bad one is invalid_argument naming the field).
Result<std::unique_ptr<runtime::BuiltinTask>> make_data_filter(const runtime::BuiltinContext& ctx);
Result<std::unique_ptr<runtime::BuiltinTask>> make_inference(const runtime::BuiltinContext& ctx);
Result<std::unique_ptr<runtime::BuiltinTask>> make_training(const runtime::BuiltinContext& ctx);
Result<std::unique_ptr<runtime::BuiltinTask>> make_simulation(const runtime::BuiltinContext& ctx);
Result<std::unique_ptr<runtime::BuiltinTask>> make_mqtt_broker_service(const runtime::BuiltinContext& ctx);
Result<std::unique_ptr<runtime::BuiltinTask>> make_time_series_store_service(const runtime::BuiltinContext& ctx);

}  // namespace iotwins::tasks
