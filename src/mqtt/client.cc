#include "mqtt/client.h"

#include <mosquitto.h>

#include <mutex>

namespace iotwins::mqtt {
namespace {

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

}  // namespace

void MqttClient::on_connect(mosquitto* m, void* self, int rc) {
  auto* c = static_cast<MqttClient*>(self);
  if (rc != 0 || !c->sub_) return;
  for (const auto& f : c->sub_->filters) mosquitto_subscribe(m, nullptr, f.c_str(), 1);
}

void MqttClient::on_message(mosquitto*, void* self, const mosquitto_message* msg) {
  auto* c = static_cast<MqttClient*>(self);
  if (!c->sub_ || !msg || !msg->topic) return;
  c->sub_->on_message(msg->topic,
                      std::string_view(static_cast<const char*>(msg->payload), static_cast<size_t>(msg->payloadlen)),
                      msg->qos, msg->retain);
}

std::string redact_url(std::string_view url) {
  size_t scheme = url.find("://");
  size_t at = url.rfind('@');
  if (scheme == std::string_view::npos || at == std::string_view::npos || at < scheme) return std::string(url);
  return std::string(url.substr(0, scheme + 3)) + "***@" + std::string(url.substr(at + 1));
}

Result<std::unique_ptr<MqttClient>> MqttClient::connect(const std::string& url, const std::string& client_id,
                                                        std::optional<Subscription> subscription,
                                                        const std::string& ca_file) {
  init_library();
  std::string rest = url;
  bool tls = rest.starts_with("mqtts://");
  if (rest.starts_with("mqtt://")) rest = rest.substr(7);
  if (tls) rest = rest.substr(8);
  // mqtt://user:password@host:port — the agent's internal credential on its own broker.
  std::string username, password;
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    std::string userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t sep = userinfo.find(':');
    username = userinfo.substr(0, sep);
    if (sep != std::string::npos) password = userinfo.substr(sep + 1);
  }
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || rest.find('/') != std::string::npos) {
    return make_error(Errc::invalid_argument, "MQTT URL '" + redact_url(url) + "' must be mqtt://host:port or mqtts://host:port");
  }
  std::string host = rest.substr(0, colon);
  int port = std::atoi(rest.c_str() + colon + 1);
  if (port <= 0 || port > 65535) {
    return make_error(Errc::invalid_argument, "MQTT URL '" + redact_url(url) + "' has a bad port");
  }
  std::unique_ptr<MqttClient> c(new MqttClient());
  c->sub_ = std::move(subscription);
  c->mosq_ = mosquitto_new(client_id.c_str(), !c->sub_.has_value(), c.get());
  if (!c->mosq_) return make_error(Errc::internal, "mosquitto_new failed");
  mosquitto_reconnect_delay_set(c->mosq_, 1, 10, true);
  if (!username.empty()) mosquitto_username_pw_set(c->mosq_, username.c_str(), password.c_str());
  mosquitto_connect_callback_set(c->mosq_, &MqttClient::on_connect);
  mosquitto_message_callback_set(c->mosq_, &MqttClient::on_message);
  if (tls && ca_file.empty()) {
    // The agent's own broker on loopback, whose certificate it configured itself: encrypted,
    // not verified (devices verify it against their CA).
    mosquitto_tls_set(c->mosq_, nullptr, "/etc/ssl/certs", nullptr, nullptr, nullptr);
    mosquitto_tls_opts_set(c->mosq_, 0, nullptr, nullptr);
    mosquitto_tls_insecure_set(c->mosq_, true);
  } else if (tls) {
    bool system = ca_file == "system";
    int rc = mosquitto_tls_set(c->mosq_, system ? nullptr : ca_file.c_str(), system ? "/etc/ssl/certs" : nullptr,
                               nullptr, nullptr, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      return make_error(Errc::invalid_argument, "MQTT TLS with CA " + ca_file + ": " + mosquitto_strerror(rc));
    }
  }
  int rc = mosquitto_connect_async(c->mosq_, host.c_str(), port, 30);
  if (rc != MOSQ_ERR_SUCCESS) {
    return make_error(Errc::unavailable, "MQTT connect to " + redact_url(url) + ": " + mosquitto_strerror(rc));
  }
  rc = mosquitto_loop_start(c->mosq_);
  if (rc != MOSQ_ERR_SUCCESS) {
    return make_error(Errc::internal, std::string("MQTT loop: ") + mosquitto_strerror(rc));
  }
  return c;
}

MqttClient::~MqttClient() {
  if (!mosq_) return;
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, true);
  mosquitto_destroy(mosq_);
}

Status MqttClient::publish(const std::string& topic, std::string_view payload, int qos, bool retain) {
  int rc = mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), qos, retain);
  if (rc != MOSQ_ERR_SUCCESS) {
    return make_error(Errc::unavailable, "MQTT publish on " + topic + ": " + mosquitto_strerror(rc));
  }
  return ok();
}

}  // namespace iotwins::mqtt
