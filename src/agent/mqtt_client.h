// MqttClient: a small libmosquitto client the agent uses to publish on its broker (error
// reports on iotwins/<twin>/errors, desired-state deltas) — reconnecting on its own.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

struct mosquitto;

namespace iotwins::agent {

class MqttClient {
 public:
  // url: mqtt://host:port. Connects in the background; publish() before the connection is up
  // queues QoS 1 messages in the library.
  static Result<std::unique_ptr<MqttClient>> connect(const std::string& url, const std::string& client_id);
  ~MqttClient();
  Status publish(const std::string& topic, std::string_view payload, int qos = 0, bool retain = false);

 private:
  MqttClient() = default;
  mosquitto* mosq_ = nullptr;
};

}  // namespace iotwins::agent
