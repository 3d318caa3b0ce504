// The MQTT side against a real Mosquitto started on a free loopback port: the device's
// publish/subscribe, and end to end, the simulator driving twins and obeying a desired setpoint.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "core/process.h"
#include "simulation/mqtt_device.h"
#include "simulation/simulator.h"
#include "test_plants.h"
#include "testing/net.h"

namespace iotwins::simulation {
namespace {

using namespace std::chrono_literals;
constexpr auto kDeadline = 20s;
using ::iotwins::testing::free_port;


bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// A subscriber that records every message and lets the test wait for a condition.
class Recorder {
 public:
  struct Message {
    std::string topic;
    std::string payload;
  };
  explicit Recorder(int port) {
    mosquitto_lib_init();
    mosq_ = mosquitto_new(nullptr, true, this);
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
      auto* r = static_cast<Recorder*>(self);
      std::lock_guard lock(r->mu_);
      r->messages_.push_back({m->topic, std::string(static_cast<const char*>(m->payload), m->payloadlen)});
      r->cv_.notify_all();
    });
    mosquitto_connect_callback_set(mosq_, [](mosquitto* m, void*, int) {
      mosquitto_subscribe(m, nullptr, "iotwins/#", 1);
    });
    // Ready once the broker acknowledged the subscription, so no message can be missed.
    mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*) {
      auto* r = static_cast<Recorder*>(self);
      std::lock_guard lock(r->mu_);
      r->connected_ = true;
      r->cv_.notify_all();
    });
    EXPECT_EQ(mosquitto_connect(mosq_, "127.0.0.1", port, 30), MOSQ_ERR_SUCCESS);
    mosquitto_loop_start(mosq_);
    std::unique_lock lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, kDeadline, [&] { return connected_; }));
  }
  ~Recorder() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }
  void publish(const std::string& topic, const std::string& payload) {
    ASSERT_EQ(mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                payload.data(), 1, false),
              MOSQ_ERR_SUCCESS);
  }
  // Waits until a message on `topic` satisfies `match`; returns its payload.
  std::optional<std::string> wait_for(const std::string& topic,
                                      const std::function<bool(const nlohmann::json&)>& match) {
    std::unique_lock lock(mu_);
    size_t seen = 0;
    std::optional<std::string> found;
    cv_.wait_for(lock, kDeadline, [&] {
      for (; seen < messages_.size(); ++seen) {
        if (messages_[seen].topic != topic) continue;
        auto doc = nlohmann::json::parse(messages_[seen].payload, nullptr, false);
        if (!doc.is_discarded() && match(doc)) {
          found = messages_[seen].payload;
          return true;
        }
      }
      return false;
    });
    return found;
  }

 private:
  mosquitto* mosq_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Message> messages_;
  bool connected_ = false;
};

class MqttTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = free_port();
    dir_ = ::testing::TempDir() + "/sim-mqtt-" + std::to_string(port_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/mosquitto.conf") << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\n";
    auto broker = Process::spawn({.argv = {"mosquitto", "-c", dir_ + "/mosquitto.conf"},
                                  .stdout_path = dir_ + "/mosquitto.log", .stderr_path = "stdout"});
    ASSERT_TRUE(broker) << broker.error().to_string();
    broker_ = std::move(*broker);
    // Readiness, not timing: poll the listening socket until it accepts, with a deadline.
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (!port_open(port_)) {
      ASSERT_TRUE(broker_.running()) << "mosquitto exited";
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "mosquitto did not listen";
      std::this_thread::sleep_for(5ms);
    }
  }
  void TearDown() override { broker_.stop(2s); }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }

  int port_ = 0;
  std::string dir_;
  Process broker_;
};

TEST(BrokerUrl, Parses) {
  auto a = parse_broker_url("mqtt://10.0.0.5:1884");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 1884);
  EXPECT_EQ(parse_broker_url("tcp://broker")->port, 1883);
  EXPECT_EQ(parse_broker_url("mqtts://broker:8883").error().code(), Errc::unsupported);
  EXPECT_FALSE(parse_broker_url("http://broker"));
  EXPECT_FALSE(parse_broker_url("mqtt://broker:99999"));
  EXPECT_FALSE(parse_broker_url("mqtt://:1883"));
}

TEST(Delta, ParsesAndRejects) {
  auto d = parse_delta("pump-1", R"({"state":{"speed_rpm":2000},"version":7})");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->version, 7);
  EXPECT_EQ(d->state["speed_rpm"], 2000);
  EXPECT_FALSE(parse_delta("pump-1", "{not json"));
  EXPECT_FALSE(parse_delta("pump-1", R"({"speed_rpm":2000})"));
  EXPECT_FALSE(parse_delta("pump-1", R"({"state":{},"version":"x"})"));
  EXPECT_EQ(parse_delta("pump-1", std::string(MqttDevice::kMaxDeltaBytes + 1, ' ')).error().code(), Errc::too_large);
}

TEST_F(MqttTest, DevicePublishesAndReceivesDeltas) {
  Recorder recorder(port_);
  auto device = MqttDevice::connect({.broker = *parse_broker_url(url()), .client_id = "dev-test"}, {"pump-1"});
  ASSERT_TRUE(device) << device.error().to_string();
  ASSERT_TRUE((*device)->publish("iotwins/pump-1/telemetry", R"({"ts":1,"flow_m3h":3})"));
  EXPECT_TRUE(recorder.wait_for("iotwins/pump-1/telemetry", [](const auto& j) { return j["flow_m3h"] == 3; }));
  recorder.publish("iotwins/pump-1/desired/delta", R"({"state":{"speed_rpm":1500},"version":2})");
  recorder.publish("iotwins/pump-1/desired/delta", "garbage");
  recorder.publish("iotwins/pump-2/desired/delta", R"({"state":{"speed_rpm":1},"version":1})");
  std::vector<DesiredDelta> deltas;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (deltas.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    (*device)->wait_for_delta(1s);
    for (auto& d : (*device)->take_deltas()) deltas.push_back(std::move(d));
  }
  ASSERT_EQ(deltas.size(), 2u);  // pump-2 is not ours: not subscribed
  EXPECT_EQ(deltas[0].twin, "pump-1");
  EXPECT_EQ(deltas[0].state["speed_rpm"], 1500);
  EXPECT_EQ(deltas[0].version, 2);
  EXPECT_NE(deltas[1].error.find("not valid JSON"), std::string::npos);
}

TEST_F(MqttTest, UnreachableBrokerIsAnError) {
  const int closed = free_port();
  auto device = MqttDevice::connect({.broker = {"127.0.0.1", closed}, .connect_timeout = 500ms}, {"x"});
  ASSERT_FALSE(device);
  EXPECT_EQ(device.error().code(), Errc::unavailable);
}

TEST_F(MqttTest, SimulatorDrivesTwinsAndObeysTheDesiredSetpoint) {
  const std::string plant = dir_ + "/plant.yaml";
  std::ofstream(plant) << testing_plants::one_circuit();
  Recorder recorder(port_);
  std::stop_source stop;
  Status result;
  std::jthread sim([&] {
    result = run_simulator({.plant_path = plant, .broker_url = url(), .speed = 100.0, .seed = 5,
                            .client_id = "sim-e2e", .stop = stop.get_token()});
  });
  // The devices report their setpoints, then stream telemetry.
  ASSERT_TRUE(recorder.wait_for("iotwins/pump-1/reported", [](const auto& j) { return j["speed_rpm"] == 2900.0; }));
  auto first = recorder.wait_for("iotwins/pump-1/telemetry", [](const auto& j) {
    return j.contains("ts") && j.contains("flow_m3h") && j.contains("vibration_mm_s");
  });
  ASSERT_TRUE(first);
  ASSERT_TRUE(recorder.wait_for("iotwins/tank-1/telemetry", [](const auto& j) { return j.contains("level_m"); }));

  // The twin's desired state asks for 2000 rpm (plus a key the device does not control).
  recorder.publish("iotwins/pump-1/desired/delta", R"({"state":{"speed_rpm":2000,"colour":"red"},"version":4})");
  auto reported = recorder.wait_for("iotwins/pump-1/reported", [](const auto& j) { return j["speed_rpm"] == 2000.0; });
  ASSERT_TRUE(reported);
  EXPECT_EQ(nlohmann::json::parse(*reported), (nlohmann::json{{"speed_rpm", 2000.0}, {"running", true}}));
  // The pump obeys: telemetry shows the new speed, and less flow than at 2900 rpm.
  const double flow_at_2900 = nlohmann::json::parse(*first)["flow_m3h"];
  auto obeyed = recorder.wait_for("iotwins/pump-1/telemetry", [](const auto& j) {
    return std::abs(j["speed_rpm"].template get<double>() - 2000.0) < 10.0;
  });
  ASSERT_TRUE(obeyed);
  EXPECT_LT(nlohmann::json::parse(*obeyed)["flow_m3h"].get<double>(), 0.9 * flow_at_2900);

  // An out-of-range setpoint is refused with an error event; the device keeps 2000 rpm.
  recorder.publish("iotwins/pump-1/desired/delta", R"({"state":{"speed_rpm":9000},"version":5})");
  auto error = recorder.wait_for("iotwins/pump-1/events/error", [](const auto& j) { return j["version"] == 5; });
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("speed_rpm"), std::string::npos);

  stop.request_stop();
  sim.join();
  EXPECT_TRUE(result) << result.error().to_string();
}

TEST(Simulator, RejectsBadOptionsBeforeConnecting) {
  EXPECT_FALSE(run_simulator({.plant_path = "/nonexistent.yaml", .broker_url = "mqtt://127.0.0.1:1"}));
  EXPECT_FALSE(run_simulator({.plant_path = "x", .broker_url = "http://x"}));
  EXPECT_FALSE(run_simulator({.plant_path = "x", .speed = -1}));
}

}  // namespace
}  // namespace iotwins::simulation
