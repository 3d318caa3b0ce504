// MqttDevice: the simulated devices' connection to an MQTT broker (libmosquitto). It publishes
// what the simulator hands it and receives `iotwins/<twin>/desired/delta` for its twins.
// Threading: libmosquitto's network thread runs the callbacks, which only parse and queue the
// deltas (bounded); the simulator thread publishes and drains the queue between steps, so the
// plant is only ever touched by one thread.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct mosquitto;
struct mosquitto_message;

namespace iotwins::simulation {

struct BrokerAddress {
  std::string host;
  int port = 1883;
};

// mosquitto_lib_init, once per process (every client here calls it first).
void init_library();

// "mqtt://host[:port]" (also "tcp://"); TLS (mqtts://) is not supported here.
Result<BrokerAddress> parse_broker_url(std::string_view url);

// A desired delta as received, or why it could not be read (then `error` is set).
struct DesiredDelta {
  std::string twin;
  nlohmann::json state;
  int64_t version = -1;
  std::string error;
};

// Parses one delta payload: {"state":{…},"version":n}; at most kMaxDeltaBytes.
Result<DesiredDelta> parse_delta(std::string_view twin, std::string_view payload);

// Faults injected into a running simulator: the fault's text (as --fault) published here.
inline constexpr std::string_view kFaultTopic = "iotwins-sim/fault";

// Publishes one fault text (validated first) on kFaultTopic of `broker_url` and waits for the
// broker's PUBACK: every simulator on that broker injects it (a start in the past means now).
Status publish_fault(const std::string& broker_url, const std::string& text);

struct MqttDeviceOptions {
  BrokerAddress broker;
  std::string client_id = "iotwins-simulator";
  int qos = 0;
  int keepalive_s = 30;
  std::chrono::milliseconds connect_timeout{5000};
};

class MqttDevice {
 public:
  static constexpr size_t kMaxDeltaBytes = 64 * 1024;
  static constexpr size_t kMaxQueuedDeltas = 1024;

  // Connects (waiting for the broker's CONNACK) and subscribes to the twins' delta topics;
  // after a lost connection libmosquitto reconnects and the subscriptions are renewed.
  static Result<std::unique_ptr<MqttDevice>> connect(const MqttDeviceOptions& options,
                                                     std::vector<std::string> twins);
  ~MqttDevice();
  MqttDevice(const MqttDevice&) = delete;
  MqttDevice& operator=(const MqttDevice&) = delete;

  Status publish(const std::string& topic, std::string_view payload);
  // Deltas received since the last call, oldest first.
  std::vector<DesiredDelta> take_deltas();
  // Fault texts received on kFaultTopic since the last call.
  std::vector<std::string> take_faults();
  // Blocks until a delta is queued or the timeout passes; true if one is queued.
  bool wait_for_delta(std::chrono::milliseconds timeout);
  uint64_t dropped_deltas() const;

 private:
  explicit MqttDevice(MqttDeviceOptions options, std::vector<std::string> twins);
  static void on_connect(mosquitto* m, void* self, int rc);
  static void on_message(mosquitto* m, void* self, const mosquitto_message* msg);
  void subscribe_all();

  MqttDeviceOptions options_;
  std::vector<std::string> twins_;
  mosquitto* mosq_ = nullptr;
  bool loop_started_ = false;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool connected_ = false;
  int connack_rc_ = -1;
  std::deque<DesiredDelta> deltas_;
  std::vector<std::string> faults_;
  uint64_t dropped_ = 0;
};

}  // namespace iotwins::simulation
