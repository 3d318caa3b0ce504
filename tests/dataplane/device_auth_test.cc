// The broker plugin's device credentials and topic ACLs (dataplane/broker/device_auth.h).
#include "dataplane/broker/device_auth.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/fs.h"
#include "dataplane/spool_record.h"
#include "mqtt_harness.h"
#include "wal/tail.h"

namespace iotwins::dataplane::broker {
namespace {

std::string digest(std::string_view password) { return sha256_hex_of(password); }

TEST(DeviceAuth, ADeviceMayUseItsOwnTwinsTopicsOnly) {
  EXPECT_TRUE(device_topic_allowed("pump-1", "iotwins/pump-1/telemetry"));
  EXPECT_TRUE(device_topic_allowed("pump-1", "iotwins/pump-1/events/alarm"));
  EXPECT_TRUE(device_topic_allowed("pump-1", "iotwins/pump-1/desired/#"));  // a filter below its twin
  EXPECT_TRUE(device_topic_allowed("pump-1", "iotwins/pump-1"));
  EXPECT_FALSE(device_topic_allowed("pump-1", "iotwins/pump-2/telemetry"));
  EXPECT_FALSE(device_topic_allowed("pump-1", "iotwins/pump-10/telemetry"));  // a prefix is not the twin
  EXPECT_FALSE(device_topic_allowed("pump-1", "iotwins/pump-1x"));
  EXPECT_FALSE(device_topic_allowed("pump-1", "iotwins/+/telemetry"));
  EXPECT_FALSE(device_topic_allowed("pump-1", "iotwins/#"));
  EXPECT_FALSE(device_topic_allowed("pump-1", "#"));
  EXPECT_FALSE(device_topic_allowed("pump-1", "other/pump-1/telemetry"));
  EXPECT_FALSE(device_topic_allowed("pump-1", "$SYS/broker/uptime"));
  // A user name with wildcards or levels never matches anything.
  EXPECT_FALSE(device_topic_allowed("+", "iotwins/+/telemetry"));
  EXPECT_FALSE(device_topic_allowed("#", "iotwins/#"));
  EXPECT_FALSE(device_topic_allowed("a/b", "iotwins/a/b/telemetry"));
  EXPECT_FALSE(device_topic_allowed("", "iotwins//telemetry"));
}

TEST(DeviceAuth, TheFileRoundTripsAndBadLinesAreNamed) {
  BrokerUsers users{{"$agent", {true, digest("inside")}}, {"pump-1", {false, digest("s1")}}};
  auto parsed = parse_broker_users(format_broker_users(users), "creds");
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->size(), 2u);
  EXPECT_TRUE(parsed->at("$agent").internal);
  EXPECT_FALSE(parsed->at("pump-1").internal);
  EXPECT_EQ(parsed->at("pump-1").password_sha256, digest("s1"));

  auto error_of = [](std::string_view text) {
    auto r = parse_broker_users(text, "creds");
    return r ? std::string() : r.error().message();
  };
  EXPECT_NE(error_of("device pump-1\n").find("creds:1:"), std::string::npos);
  EXPECT_NE(error_of("# c\nadmin pump-1 " + digest("x") + "\n").find("creds:2: unknown role 'admin'"), std::string::npos);
  EXPECT_NE(error_of("device pump-1 ABC\n").find("64 lower-case hex"), std::string::npos);
  EXPECT_NE(error_of("device p " + digest("x") + "\ndevice p " + digest("y") + "\n").find("appears twice"),
            std::string::npos);
  EXPECT_NE(error_of("device p " + digest("x") + " extra\n").find("creds:1:"), std::string::npos);
}

TEST(DeviceAuth, PasswordsAndAclsComeFromTheFileReloadedWhenItChanges) {
  std::string path = ::testing::TempDir() + "/device-auth-creds";
  std::filesystem::remove(path);
  DeviceAuth auth(path);
  ASSERT_TRUE(auth.reload_if_changed());  // no file: nobody
  EXPECT_FALSE(auth.authenticate("pump-1", "s1"));

  std::ofstream(path) << format_broker_users({{"$agent", {true, digest("inside")}}, {"pump-1", {false, digest("s1")}}});
  ASSERT_TRUE(auth.reload_if_changed());
  EXPECT_TRUE(auth.authenticate("pump-1", "s1"));
  EXPECT_FALSE(auth.authenticate("pump-1", "s2"));
  EXPECT_FALSE(auth.authenticate("pump-2", "s1"));
  EXPECT_TRUE(auth.authenticate("$agent", "inside"));
  EXPECT_TRUE(auth.allowed("pump-1", "iotwins/pump-1/telemetry", Access::write));
  EXPECT_FALSE(auth.allowed("pump-1", "iotwins/pump-2/telemetry", Access::write));
  EXPECT_FALSE(auth.allowed("pump-1", "iotwins/+/desired/delta", Access::subscribe));
  EXPECT_TRUE(auth.allowed("$agent", "iotwins/pump-2/desired/delta", Access::write));
  EXPECT_FALSE(auth.allowed("stranger", "iotwins/stranger/telemetry", Access::write));

  // A new secret for pump-1 and a new device: the old secret stops working.
  std::ofstream(path) << format_broker_users({{"$agent", {true, digest("inside")}},
                                              {"pump-1", {false, digest("s1-new")}},
                                              {"pump-2", {false, digest("s2")}}});
  ASSERT_TRUE(auth.reload_if_changed());
  EXPECT_FALSE(auth.authenticate("pump-1", "s1"));
  EXPECT_TRUE(auth.authenticate("pump-1", "s1-new"));
  EXPECT_TRUE(auth.authenticate("pump-2", "s2"));

  // A damaged file keeps the previous users and says why.
  std::ofstream(path) << "device pump-3\n";
  auto st = auth.reload_if_changed();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find(path + ":1:"), std::string::npos);
  EXPECT_TRUE(auth.authenticate("pump-2", "s2"));
}

}  // namespace
}  // namespace iotwins::dataplane::broker

// Inside the real broker: logins and ACLs from the credentials file, and what reaches the spool.

namespace iotwins::dataplane::broker {
namespace {

int mosquitto_pub(int port, const std::string& user, const std::string& password, const std::string& topic,
                  const std::string& payload) {
  std::string cmd = "mosquitto_pub -h 127.0.0.1 -p " + std::to_string(port) + " -q 1 -i t-" + user +
                    (user.empty() ? "" : " -u '" + user + "' -P '" + password + "'") + " -t '" + topic + "' -m '" +
                    payload + "' >/dev/null 2>&1";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::vector<std::string> spooled_payloads(const std::string& dir) {
  std::vector<std::string> out;
  auto tail = wal::TailReader::open(PosixFileSystem::instance(), dir, 1, {.max_record_bytes = 1 << 20});
  if (!tail) return out;
  auto first = (*tail)->first_available_seq();
  if (!first) return out;
  (*tail)->seek(*first);
  while (true) {
    auto r = (*tail)->next();
    if (!r || !*r) return out;
    if (auto rec = decode_spool_record((*r)->payload)) out.emplace_back(std::string(rec->topic) + " " + std::string(rec->payload));
  }
}

TEST(DeviceAuthInBroker, DevicesLogInAndPublishOnlyOnTheirTwinsTopics) {
  std::string dir = ::testing::TempDir() + "broker_test/DeviceAuthInBroker";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string creds = dir + "/credentials";
  auto& fs = PosixFileSystem::instance();
  ASSERT_TRUE(fs.write_file_atomic(creds, format_broker_users({{"pump-1", {false, digest("s1")}}})));
  auto b = testing::Broker::start({.dir = dir, .plugin = IOTWINS_BROKER_PLUGIN,
                                   .plugin_options = {{"spool_dir", dir + "/spool"}, {"auth_file", creds}}});
  ASSERT_TRUE(b) << b.error().to_string();
  int port = b->port();

  EXPECT_NE(mosquitto_pub(port, "pump-1", "wrong", "iotwins/pump-1/telemetry", R"({"v":1})"), 0);
  EXPECT_NE(mosquitto_pub(port, "", "", "iotwins/pump-1/telemetry", R"({"v":2})"), 0);
  EXPECT_NE(mosquitto_pub(port, "pump-2", "s1", "iotwins/pump-2/telemetry", R"({"v":3})"), 0);
  // Accepted at the protocol level (MQTT 3.1.1 has no refusal for a PUBLISH) but dropped.
  EXPECT_EQ(mosquitto_pub(port, "pump-1", "s1", "iotwins/pump-2/telemetry", R"({"v":4})"), 0);
  EXPECT_EQ(mosquitto_pub(port, "pump-1", "s1", "iotwins/pump-1/telemetry", R"({"v":5})"), 0);

  // A device added to the file may log in once the plugin has re-read it.
  ASSERT_TRUE(fs.write_file_atomic(creds, format_broker_users({{"pump-1", {false, digest("s1")}},
                                                               {"pump-2", {false, digest("s2")}}})));
  EXPECT_TRUE(testing::eventually([&] {
    return mosquitto_pub(port, "pump-2", "s2", "iotwins/pump-2/telemetry", R"({"v":6})") == 0;
  }));
  std::vector<std::string> expected = {R"(iotwins/pump-1/telemetry {"v":5})", R"(iotwins/pump-2/telemetry {"v":6})"};
  EXPECT_TRUE(testing::eventually([&] { return spooled_payloads(dir + "/spool") == expected; }))
      << ::testing::PrintToString(spooled_payloads(dir + "/spool")) << b->log();
}

}  // namespace
}  // namespace iotwins::dataplane::broker
