#include "simulation/hybrid_runner.h"

#include <mosquitto.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/log.h"
#include "simulation/mqtt_device.h"

namespace iotwins::simulation {
namespace {

spdlog::logger& logger() { return log::get("simulation"); }

constexpr size_t kMaxQueued = 100'000;
constexpr std::string_view kSuffix = "_residual";

struct Message {
  std::string twin;
  int64_t ts_ns = 0;
  std::vector<std::pair<std::string, double>> values;
};

// Telemetry in: iotwins/<twin>/telemetry with numbers and an optional "ts" (ms). Residuals this
// runner published come back on the same topic and are skipped (their keys end in _residual).
class TelemetryTap {
 public:
  static Result<std::unique_ptr<TelemetryTap>> connect(const BrokerAddress& broker, const std::string& client_id) {
    init_library();
    std::unique_ptr<TelemetryTap> t(new TelemetryTap());
    t->mosq_ = mosquitto_new(client_id.c_str(), true, t.get());
    if (!t->mosq_) return make_error(Errc::internal, "mosquitto_new failed");
    mosquitto_connect_callback_set(t->mosq_, [](mosquitto* m, void*, int rc) {
      if (rc == 0) mosquitto_subscribe(m, nullptr, "iotwins/+/telemetry", 0);
    });
    mosquitto_message_callback_set(t->mosq_, [](mosquitto*, void* self, const mosquitto_message* msg) {
      static_cast<TelemetryTap*>(self)->on_message(msg);
    });
    mosquitto_reconnect_delay_set(t->mosq_, 1, 10, true);
    int rc = mosquitto_connect_async(t->mosq_, broker.host.c_str(), broker.port, 30);
    if (rc != MOSQ_ERR_SUCCESS) {
      return make_error(Errc::unavailable, "mqtt " + broker.host + ":" + std::to_string(broker.port) + ": " +
                                               mosquitto_strerror(rc));
    }
    mosquitto_loop_start(t->mosq_);
    return t;
  }
  ~TelemetryTap() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
    mosquitto_destroy(mosq_);
  }
  // Waits up to `wait` for a message.
  std::optional<Message> next(std::chrono::milliseconds wait) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait, [&] { return !queue_.empty(); })) return std::nullopt;
    Message m = std::move(queue_.front());
    queue_.pop_front();
    return m;
  }
  Status publish(const std::string& topic, const std::string& payload) {
    int rc = mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, false);
    if (rc != MOSQ_ERR_SUCCESS) return make_error(Errc::unavailable, std::string("publish: ") + mosquitto_strerror(rc));
    return ok();
  }
  uint64_t dropped() const { return dropped_.load(); }

 private:
  void on_message(const mosquitto_message* msg) {
    std::string_view topic(msg->topic);
    constexpr std::string_view prefix = "iotwins/", suffix = "/telemetry";
    if (!topic.starts_with(prefix) || !topic.ends_with(suffix)) return;
    Message m;
    m.twin = std::string(topic.substr(prefix.size(), topic.size() - prefix.size() - suffix.size()));
    auto j = nlohmann::json::parse(static_cast<const char*>(msg->payload),
                                   static_cast<const char*>(msg->payload) + msg->payloadlen, nullptr, false);
    if (!j.is_object()) return;
    m.ts_ns = SystemClock::instance().now_ns();
    for (auto& [k, v] : j.items()) {
      if (k == "ts") {
        if (v.is_number()) m.ts_ns = static_cast<int64_t>(v.get<double>()) * 1'000'000;
      } else if (v.is_number() && !std::string_view(k).ends_with(kSuffix)) {
        m.values.emplace_back(k, v.get<double>());
      }
    }
    if (m.values.empty()) return;
    std::lock_guard lock(mu_);
    if (queue_.size() >= kMaxQueued) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(std::move(m));
    cv_.notify_one();
  }
  TelemetryTap() = default;
  mosquitto* mosq_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Message> queue_;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace

HybridOptions default_hybrid_bindings(const Plant& plant) {
  static const std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> by_kind = {
      {"pump", {{"speed_rpm"}, {"motor_temp_c"}}},
      {"valve", {{"opening_pct"}, {}}},
      {"tank", {{"outflow_m3h"}, {"level_m"}}},
      {"hvac_zone", {{"setpoint_c"}, {"zone_temp_c"}}},
      {"heat_exchanger", {{"hot_flow_kg_s", "cold_flow_kg_s", "hot_in_c"}, {}}},
  };
  HybridOptions o;
  for (size_t i = 0; i < plant.twin_count(); ++i) {
    const TwinInfo& t = plant.twin(i);
    auto it = by_kind.find(t.kind);
    if (it == by_kind.end()) continue;
    for (const auto& p : it->second.first) {
      if (plant.find_property(i, p)) o.inputs.push_back({t.id, p});
    }
    for (const auto& p : it->second.second) {
      if (plant.find_property(i, p)) o.sync.push_back({t.id, p});
    }
  }
  return o;
}

Result<HybridRunStats> run_hybrid(const HybridRunnerOptions& options) {
  IOT_ASSIGN(Plant plant, Plant::load(options.plant_path));
  IOT_ASSIGN(BrokerAddress broker, parse_broker_url(options.broker_url));
  IOT_ASSIGN(auto tap, TelemetryTap::connect(broker, options.client_id));
  HybridOptions bindings = default_hybrid_bindings(plant);
  logger().info("hybrid twin of {} ({} twins, {} measured inputs) on {}", plant.site(), plant.twin_count(),
                bindings.inputs.size(), options.broker_url);
  std::optional<HybridTwin> twin;
  HybridRunStats stats;
  int64_t group_ts = 0, first_ts = 0;
  std::map<std::string, MeasuredFrame> group;
  auto flush = [&]() -> Status {
    if (group.empty()) return ok();
    if (!twin) {
      IOT_ASSIGN(auto created, HybridTwin::create(plant, bindings, group_ts));
      twin.emplace(std::move(created));
    }
    std::vector<MeasuredFrame> frames;
    for (auto& [id, f] : group) frames.push_back(std::move(f));
    group.clear();
    auto residuals = twin->update(group_ts, frames);
    if (!residuals) {
      ++stats.rejected;
      logger().debug("hybrid: frame at {} refused: {}", group_ts, residuals.error().message());
      return ok();
    }
    ++stats.frames;
    std::map<std::string, nlohmann::json> out;
    for (const auto& r : *residuals) {
      auto& j = out[r.twin];
      if (j.is_null()) j = {{"ts", r.ts_ns / 1'000'000}};
      j[HybridTwin::residual_property(r.property)] = r.residual;
      ++stats.residuals;
    }
    for (const auto& [id, j] : out) IOT_TRY(tap->publish("iotwins/" + id + "/telemetry", j.dump()));
    return ok();
  };
  while (!options.stop.stop_requested()) {
    auto m = tap->next(std::chrono::milliseconds(500));
    if (!m) {
      IOT_TRY(flush());  // a quiet broker: the last timestamp is complete
      continue;
    }
    if (!plant.find_twin(m->twin)) continue;  // not part of this plant
    if (m->ts_ns != group_ts) {
      IOT_TRY(flush());
      group_ts = m->ts_ns;
      if (first_ts == 0) first_ts = group_ts;
      if (options.duration_s > 0 && static_cast<double>(group_ts - first_ts) / 1e9 >= options.duration_s) break;
    }
    auto& f = group[m->twin];
    f.twin = m->twin;
    for (auto& v : m->values) f.values.push_back(std::move(v));
  }
  IOT_TRY(flush());
  stats.rejected += tap->dropped();
  logger().info("hybrid twin stopped: {} frames, {} residuals, {} refused", stats.frames, stats.residuals, stats.rejected);
  return stats;
}

}  // namespace iotwins::simulation
