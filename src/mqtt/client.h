// MqttClient: a small libmosquitto client — the agent publishes on its broker with it (error
// reports, desired-state deltas) and subscribes to an external broker's device topics; platform
// tasks (inference) follow telemetry and publish results with it. Reconnects on its own.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct mosquitto;
struct mosquitto_message;

namespace iotwins::mqtt {

// The URL without its user:password (for logs and errors).
std::string redact_url(std::string_view url);

class MqttClient {
 public:
  // url: mqtt://host:port, or mqtt://user:password@host:port to log in. Connects in the background; publish() before the connection is up
  // queues QoS 1 messages in the library.
  // Messages arrive on the library's network thread, in order.
  using OnMessage = std::function<void(std::string_view topic, std::string_view payload, int qos, bool retain)>;
  struct Subscription {
    std::vector<std::string> filters;
    OnMessage on_message;
  };
  // With a subscription the session is persistent (clean_session false): QoS 1 messages for
  // the agent are queued by the broker while it is away, and the filters are subscribed again
  // on every (re)connect.
  // mqtts:// with an empty ca_file: encrypted, not verified — only for the agent's own broker on
  // loopback, whose certificate it configured itself. Otherwise the broker is verified against
  // ca_file (or the system CAs when ca_file is "system").
  static Result<std::unique_ptr<MqttClient>> connect(const std::string& url, const std::string& client_id,
                                                     std::optional<Subscription> subscription = std::nullopt,
                                                     const std::string& ca_file = "");
  ~MqttClient();
  Status publish(const std::string& topic, std::string_view payload, int qos = 0, bool retain = false);

 private:
  MqttClient() = default;
  static void on_connect(mosquitto*, void* self, int rc);
  static void on_message(mosquitto*, void* self, const struct mosquitto_message* msg);
  mosquitto* mosq_ = nullptr;
  std::optional<Subscription> sub_;
};

}  // namespace iotwins::mqtt
