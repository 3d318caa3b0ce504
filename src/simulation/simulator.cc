#include "simulation/simulator.h"

#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "core/log.h"
#include "simulation/mqtt_device.h"

namespace iotwins::simulation {
namespace {

auto& logger() {
  static auto& log = iotwins::log::get("simulation");
  return log;
}

std::string topic_of(const std::string& twin, std::string_view leaf) {
  return "iotwins/" + twin + "/" + std::string(leaf);
}

// Applies one delta: keys the twin has no setpoint for are ignored (a twin's desired state may
// carry more than the device controls); a bad value rejects the whole delta, reported as an
// error event, and the device keeps its setpoints.
void handle_delta(Plant& plant, MqttDevice& device, const DesiredDelta& delta) {
  auto fail = [&](const std::string& message) {
    logger().warn("{}", message);
    nlohmann::json event = {{"error", message}, {"version", delta.version}};
    (void)device.publish(topic_of(delta.twin, "events/error"), event.dump());
  };
  if (!delta.error.empty()) return fail(delta.error);
  auto current = plant.reported(delta.twin);
  if (!current) return fail(current.error().message());
  nlohmann::json accepted = nlohmann::json::object();
  for (const auto& [key, value] : delta.state.items()) {
    if (current->contains(key)) accepted[key] = value;
  }
  if (accepted.empty()) return;
  if (auto st = plant.apply_desired(delta.twin, accepted); !st) return fail(st.error().message());
  auto reported = plant.reported(delta.twin);
  logger().info("{}: applied desired {} (version {})", delta.twin, accepted.dump(), delta.version);
  (void)device.publish(topic_of(delta.twin, "reported"), reported->dump());
}

}  // namespace

std::string telemetry_json(const Plant& plant, size_t twin) {
  const TwinInfo& info = plant.twin(twin);
  const auto values = plant.measured(twin);
  std::string out = "{\"ts\":" + std::to_string(plant.sample_ts_ns() / 1'000'000);
  char buf[40];
  for (size_t p : info.published) {
    if (!std::isfinite(values[p])) continue;
    std::snprintf(buf, sizeof(buf), "%.6g", values[p]);
    out += ",\"" + info.properties[p] + "\":" + buf;
  }
  out += "}";
  return out;
}

Status run_simulator(const SimulatorOptions& options) {
  if (!(options.speed >= 0.0) || !std::isfinite(options.speed)) {
    return make_error(Errc::invalid_argument, "simulate: speed must be >= 0 (0: as fast as possible)");
  }
  if (!(options.duration_s >= 0.0)) return make_error(Errc::invalid_argument, "simulate: duration must be >= 0");
  IOT_ASSIGN(BrokerAddress broker, parse_broker_url(options.broker_url));
  IOT_ASSIGN(Plant plant, Plant::load(options.plant_path, PlantOptions{.seed = options.seed, .noise = options.noise}));
  for (const auto& fault : options.faults) IOT_TRY(plant.inject_fault(fault));
  std::vector<std::string> twins;
  for (size_t t = 0; t < plant.twin_count(); ++t) twins.push_back(plant.twin(t).id);

  IOT_ASSIGN(auto device, MqttDevice::connect(MqttDeviceOptions{.broker = broker, .client_id = options.client_id,
                                                                .qos = options.qos},
                                              twins));
  const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::instance();
  plant.set_epoch_ns(clock.now_ns());
  for (const auto& twin : twins) (void)device->publish(topic_of(twin, "reported"), plant.reported(twin)->dump());
  logger().info("simulating {} twins of site {} from {} at {}x", twins.size(), plant.site(), options.plant_path,
                options.speed);

  const int64_t start = clock.steady_ns();
  const uint64_t total = options.duration_s > 0.0
                             ? static_cast<uint64_t>(std::ceil(options.duration_s / plant.step_s() - 1e-9))
                             : UINT64_MAX;
  std::mutex mu;
  std::condition_variable_any cv;
  uint64_t publish_failures = 0;
  while (plant.steps() < total && !options.stop.stop_requested()) {
    for (const auto& delta : device->take_deltas()) handle_delta(plant, *device, delta);
    for (const auto& text : device->take_faults()) {
      auto fault = parse_fault_text(text);
      Status st = fault ? plant.inject_fault(*fault) : Status(std::unexpected(fault.error()));
      if (st) {
        logger().info("fault injected at {} s: {}", plant.time_s(), text);
      } else {
        logger().warn("fault '{}' refused: {}", text, st.error().message());
      }
    }
    if (plant.step()) {
      for (size_t t = 0; t < plant.twin_count(); ++t) {
        if (!device->publish(plant.twin(t).topic, telemetry_json(plant, t))) ++publish_failures;
      }
    }
    if (options.speed > 0.0) {
      // Pace against the start, not the previous step, so wall time never drifts.
      const int64_t due = start + static_cast<int64_t>(plant.time_s() / options.speed * 1e9);
      const int64_t wait = due - clock.steady_ns();
      if (wait > 0) {
        std::unique_lock lock(mu);
        cv.wait_for(lock, options.stop, std::chrono::nanoseconds(wait), [] { return false; });
      }
    }
  }
  if (publish_failures > 0) logger().warn("{} telemetry publishes failed while disconnected", publish_failures);
  logger().info("simulation stopped after {} simulated seconds", plant.time_s());
  return ok();
}

}  // namespace iotwins::simulation
