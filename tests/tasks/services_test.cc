// The service tasks: the MQTT broker service checks the node's broker answers an MQTT connect,
// sets its endpoint, runs until stopped and ends with the reason when the broker stays down.
#include <gtest/gtest.h>

#include <filesystem>

#include "../dataplane/mqtt_harness.h"
#include "task_runner.h"
#include "tasks/builtins.h"

namespace iotwins::tasks {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::TaskRunner;
namespace mq = dataplane::testing;

std::optional<runtime::TaskExit> wait_exit(TaskRunner& run) {
  std::optional<runtime::TaskExit> exit;
  eventually([&] { return (exit = run.poll()).has_value(); });
  return exit;
}

TEST(MqttBrokerService, ANodeWithoutABrokerFailsTheStartWithTheReason) {
  TaskRunner run({.node_id = "edge-1"});
  auto st = run.start(kMqttBroker, {{"port", 1883}});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::unavailable);
  EXPECT_NE(st.error().message().find("node edge-1 runs no MQTT broker"), std::string::npos) << st.error().message();
}

TEST(MqttBrokerService, ABrokerThatDoesNotAnswerEndsTheTask) {
  TaskRunner run({.broker_url = "mqtt://127.0.0.1:" + std::to_string(mq::free_port())});
  ASSERT_TRUE(run.start(kMqttBroker, json::object()));
  auto exit = wait_exit(run);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 1);
  EXPECT_NE(exit->reason.find("does not answer"), std::string::npos) << exit->reason;
  EXPECT_EQ(run.attribute("endpoint"), "");
}

TEST(MqttBrokerService, SetsTheEndpointRunsUntilStoppedAndEndsWhenTheBrokerStaysDown) {
  const std::string dir = ::testing::TempDir() + "/service_broker";
  std::filesystem::create_directories(dir);
  auto broker = mq::Broker::start({.dir = dir});
  ASSERT_TRUE(broker) << broker.error().to_string();
  const std::string url = "mqtt://127.0.0.1:" + std::to_string(broker->port());
  {
    TaskRunner run({.broker_url = url});
    ASSERT_TRUE(run.start(kMqttBroker, {{"check_interval", "50 ms"}}));
    ASSERT_TRUE(eventually([&] { return run.attribute("endpoint") == url; })) << run.log();
    EXPECT_FALSE(run.poll());
    EXPECT_TRUE(run.stop().success());
  }
  TaskRunner run({.broker_url = url});
  ASSERT_TRUE(run.start(kMqttBroker, {{"check_interval", "50 ms"}, {"failures", 2}}));
  ASSERT_TRUE(eventually([&] { return run.attribute("endpoint") == url; })) << run.log();
  broker->kill9();
  auto exit = wait_exit(run);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 1);
  EXPECT_NE(exit->reason.find("MQTT broker down for 2 checks"), std::string::npos) << exit->reason;
  EXPECT_TRUE(run.log_has("(1 of 2)")) << run.log();
}

TEST(ServiceConfig, BadValuesNameTheField) {
  TaskRunner run({.broker_url = "mqtt://127.0.0.1:1"});
  auto st = run.start(kMqttBroker, {{"check_interval", "often"}});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("config.check_interval: 'often' is not a time"), std::string::npos) << st.error().message();
  auto st2 = run.start(kTimeSeriesStore, {{"failures", 0}});
  ASSERT_FALSE(st2);
  EXPECT_NE(st2.error().message().find("config.failures: must be at least 1"), std::string::npos) << st2.error().message();
}

}  // namespace
}  // namespace iotwins::tasks
