#include "simulation/mqtt_device.h"

#include "simulation/fault.h"

#include <mosquitto.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>

#include "core/log.h"

namespace iotwins::simulation {
namespace {

auto& logger() {
  static auto& log = iotwins::log::get("simulation");
  return log;
}

constexpr std::string_view kPrefix = "iotwins/";
constexpr std::string_view kDeltaSuffix = "/desired/delta";

}  // namespace

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

Status publish_fault(const std::string& broker_url, const std::string& text) {
  IOT_TRY(parse_fault_text(text));
  IOT_ASSIGN(BrokerAddress broker, parse_broker_url(broker_url));
  init_library();
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  } state;
  mosquitto* m = mosquitto_new(nullptr, true, &state);
  if (!m) return make_error(Errc::internal, "mosquitto_new failed");
  mosquitto_publish_callback_set(m, [](mosquitto*, void* self, int) {
    auto* s = static_cast<State*>(self);
    std::lock_guard lock(s->mu);
    s->done = true;
    s->cv.notify_all();
  });
  const std::string where = "mqtt " + broker.host + ":" + std::to_string(broker.port);
  int rc = mosquitto_connect(m, broker.host.c_str(), broker.port, 10);
  if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_start(m);
  if (rc == MOSQ_ERR_SUCCESS) {
    rc = mosquitto_publish(m, nullptr, std::string(kFaultTopic).c_str(), static_cast<int>(text.size()), text.data(), 1, false);
  }
  bool acked = false;
  if (rc == MOSQ_ERR_SUCCESS) {
    std::unique_lock lock(state.mu);
    acked = state.cv.wait_for(lock, std::chrono::seconds(10), [&] { return state.done; });
  }
  mosquitto_disconnect(m);
  mosquitto_loop_stop(m, true);
  mosquitto_destroy(m);
  if (rc != MOSQ_ERR_SUCCESS) {
    return make_error(Errc::unavailable, where + ": " + (rc == MOSQ_ERR_ERRNO ? std::string(strerror(errno)) : mosquitto_strerror(rc)));
  }
  if (!acked) return make_error(Errc::timeout, where + ": no PUBACK within 10 s");
  return ok();
}

Result<BrokerAddress> parse_broker_url(std::string_view url) {
  BrokerAddress out;
  std::string_view rest;
  if (url.starts_with("mqtt://")) rest = url.substr(7);
  else if (url.starts_with("tcp://")) rest = url.substr(6);
  else if (url.starts_with("mqtts://") || url.starts_with("ssl://")) {
    return make_error(Errc::unsupported, "broker URL '" + std::string(url) + "': TLS is not supported by the simulator");
  } else {
    return make_error(Errc::invalid_argument, "broker URL '" + std::string(url) + "': expected mqtt://host[:port]");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const size_t colon = rest.rfind(':');
  std::string_view host = rest.substr(0, colon);
  if (colon != std::string_view::npos) {
    std::string_view port = rest.substr(colon + 1);
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p <= 0 || p > 65535) {
      return make_error(Errc::invalid_argument, "broker URL '" + std::string(url) + "': bad port '" + std::string(port) + "'");
    }
    out.port = p;
  }
  if (host.empty() || host.find('/') != std::string_view::npos) {
    return make_error(Errc::invalid_argument, "broker URL '" + std::string(url) + "': missing host");
  }
  out.host = std::string(host);
  return out;
}

Result<DesiredDelta> parse_delta(std::string_view twin, std::string_view payload) {
  const std::string where = "desired delta for " + std::string(twin);
  if (payload.size() > MqttDevice::kMaxDeltaBytes) {
    return make_error(Errc::too_large, where + ": " + std::to_string(payload.size()) +
                                           " bytes, the limit is " + std::to_string(MqttDevice::kMaxDeltaBytes));
  }
  nlohmann::json doc = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return make_error(Errc::invalid_argument, where + ": not valid JSON");
  if (!doc.is_object() || !doc.contains("state") || !doc["state"].is_object()) {
    return make_error(Errc::invalid_argument, where + ": expected {\"state\":{...},\"version\":n}");
  }
  DesiredDelta delta;
  delta.twin = std::string(twin);
  delta.state = std::move(doc["state"]);
  if (doc.contains("version")) {
    if (!doc["version"].is_number_integer()) {
      return make_error(Errc::invalid_argument, where + ": 'version' must be an integer");
    }
    delta.version = doc["version"].get<int64_t>();
  }
  return delta;
}

MqttDevice::MqttDevice(MqttDeviceOptions options, std::vector<std::string> twins)
    : options_(std::move(options)), twins_(std::move(twins)) {}

MqttDevice::~MqttDevice() {
  if (mosq_ == nullptr) return;
  mosquitto_disconnect(mosq_);
  if (loop_started_) mosquitto_loop_stop(mosq_, false);
  mosquitto_destroy(mosq_);
}

Result<std::unique_ptr<MqttDevice>> MqttDevice::connect(const MqttDeviceOptions& options,
                                                        std::vector<std::string> twins) {
  init_library();
  std::unique_ptr<MqttDevice> device(new MqttDevice(options, std::move(twins)));
  device->mosq_ = mosquitto_new(options.client_id.c_str(), true, device.get());
  if (device->mosq_ == nullptr) return make_error(Errc::internal, "mosquitto_new failed");
  mosquitto_connect_callback_set(device->mosq_, &MqttDevice::on_connect);
  mosquitto_message_callback_set(device->mosq_, &MqttDevice::on_message);
  mosquitto_reconnect_delay_set(device->mosq_, 1, 30, true);
  const std::string where = "mqtt " + options.broker.host + ":" + std::to_string(options.broker.port);
  int rc = mosquitto_connect_async(device->mosq_, options.broker.host.c_str(), options.broker.port,
                                   options.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS) {
    return make_error(Errc::unavailable, where + ": " + (rc == MOSQ_ERR_ERRNO ? std::string(strerror(errno)) : mosquitto_strerror(rc)));
  }
  rc = mosquitto_loop_start(device->mosq_);
  if (rc != MOSQ_ERR_SUCCESS) return make_error(Errc::internal, where + ": " + mosquitto_strerror(rc));
  device->loop_started_ = true;
  std::unique_lock lock(device->mu_);
  if (!device->cv_.wait_for(lock, options.connect_timeout, [&] { return device->connack_rc_ >= 0; })) {
    return make_error(Errc::unavailable, where + ": no CONNACK within " +
                                             std::to_string(options.connect_timeout.count()) + " ms");
  }
  if (device->connack_rc_ != 0) {
    return make_error(Errc::unavailable, where + ": connection refused: " +
                                             mosquitto_connack_string(device->connack_rc_));
  }
  return device;
}

void MqttDevice::on_connect(mosquitto*, void* self, int rc) {
  auto* device = static_cast<MqttDevice*>(self);
  if (rc == 0) device->subscribe_all();
  {
    std::lock_guard lock(device->mu_);
    device->connack_rc_ = rc;
    device->connected_ = rc == 0;
  }
  device->cv_.notify_all();
  if (rc == 0) logger().info("simulator connected to {}:{}", device->options_.broker.host, device->options_.broker.port);
}

void MqttDevice::subscribe_all() {
  if (int rc = mosquitto_subscribe(mosq_, nullptr, std::string(kFaultTopic).c_str(), 1); rc != MOSQ_ERR_SUCCESS) {
    logger().warn("subscribe {}: {}", kFaultTopic, mosquitto_strerror(rc));
  }
  for (const auto& twin : twins_) {
    const std::string topic = std::string(kPrefix) + twin + std::string(kDeltaSuffix);
    const int rc = mosquitto_subscribe(mosq_, nullptr, topic.c_str(), 1);
    if (rc != MOSQ_ERR_SUCCESS) logger().warn("subscribe {}: {}", topic, mosquitto_strerror(rc));
  }
}

void MqttDevice::on_message(mosquitto*, void* self, const mosquitto_message* msg) {
  auto* device = static_cast<MqttDevice*>(self);
  std::string_view topic(msg->topic);
  if (topic == kFaultTopic) {
    std::lock_guard lock(device->mu_);
    if (device->faults_.size() < kMaxQueuedDeltas && msg->payloadlen < 4096) {
      device->faults_.emplace_back(static_cast<const char*>(msg->payload), static_cast<size_t>(msg->payloadlen));
    }
    return;
  }
  if (!topic.starts_with(kPrefix) || !topic.ends_with(kDeltaSuffix)) return;
  std::string_view twin = topic.substr(kPrefix.size(), topic.size() - kPrefix.size() - kDeltaSuffix.size());
  std::string_view payload(static_cast<const char*>(msg->payload), static_cast<size_t>(msg->payloadlen));
  auto parsed = parse_delta(twin, payload);
  DesiredDelta delta;
  if (parsed) {
    delta = std::move(*parsed);
  } else {
    delta.twin = std::string(twin);
    delta.error = parsed.error().message();
  }
  {
    std::lock_guard lock(device->mu_);
    // Desired state is level-triggered: when the queue is full the oldest delta goes first.
    if (device->deltas_.size() >= kMaxQueuedDeltas) {
      device->deltas_.pop_front();
      ++device->dropped_;
    }
    device->deltas_.push_back(std::move(delta));
  }
  device->cv_.notify_all();
}

Status MqttDevice::publish(const std::string& topic, std::string_view payload) {
  const int rc = mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                   payload.data(), options_.qos, false);
  // While disconnected libmosquitto refuses; the device simply misses that sample, as a real
  // one would, and the reconnect thread keeps trying.
  if (rc != MOSQ_ERR_SUCCESS) {
    return make_error(Errc::unavailable, "publish " + topic + ": " + mosquitto_strerror(rc));
  }
  return ok();
}

std::vector<DesiredDelta> MqttDevice::take_deltas() {
  std::lock_guard lock(mu_);
  std::vector<DesiredDelta> out(std::make_move_iterator(deltas_.begin()), std::make_move_iterator(deltas_.end()));
  deltas_.clear();
  return out;
}

std::vector<std::string> MqttDevice::take_faults() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  out.swap(faults_);
  return out;
}

bool MqttDevice::wait_for_delta(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return !deltas_.empty(); });
}

uint64_t MqttDevice::dropped_deltas() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace iotwins::simulation
