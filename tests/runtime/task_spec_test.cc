#include "runtime/task_spec.h"

#include <gtest/gtest.h>

namespace iotwins::runtime {
namespace {

const std::string kSha(64, 'a');

TaskSpec full_spec() {
  TaskSpec s;
  s.id = "filter-1";
  s.deployment = "factory";
  s.driver = "sandbox";
  s.artifact_sha256 = kSha;
  s.args = {"--rate", "10"};
  s.env = {{"MODE", "fast"}};
  s.workdir = "work/sub";
  s.resources = {.cpu = 0.5, .memory_bytes = 64 << 20, .cpu_seconds = 100, .open_files = 256};
  s.restart = {.mode = RestartMode::always, .max_restarts = 3, .window_ms = 60'000, .initial_backoff_ms = 500,
               .max_backoff_ms = 8'000, .jitter = 0.1};
  s.health = {.kind = HealthKind::http, .port = 8080, .path = "/healthz", .interval_ms = 1'000, .timeout_ms = 500,
              .failure_threshold = 2};
  s.network = true;
  s.inputs = {"telemetry"};
  s.outputs = {"filtered"};
  return s;
}

std::string error_of(std::string_view json) {
  auto r = decode_task_spec(json);
  EXPECT_FALSE(r) << json;
  if (r) return "";
  EXPECT_EQ(r.error().code(), Errc::invalid_argument) << r.error().to_string();
  return r.error().message();
}

TEST(TaskSpec, RoundTripsEveryField) {
  TaskSpec s = full_spec();
  auto back = decode_task_spec(encode_task_spec(s));
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(*back, s);

  TaskSpec b{.id = "op", .driver = "builtin", .builtin = "threshold", .config_json = R"({"limit":3})"};
  auto b2 = decode_task_spec(encode_task_spec(b));
  ASSERT_TRUE(b2) << b2.error().to_string();
  EXPECT_EQ(*b2, b);
}

TEST(TaskSpec, AConfigOnAnotherDriverSurvivesTheRoundTrip) {
  // Found by fuzz_task_spec: a config on an oci task was decoded but not encoded again.
  auto s = decode_task_spec(R"({"id":"c","driver":"oci","image":"alpine:3","config":{"a":1}})");
  ASSERT_TRUE(s) << s.error().to_string();
  auto back = decode_task_spec(encode_task_spec(*s));
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(*back, *s);
  TaskSpec bad{.id = "x", .driver = "exec", .command = "/bin/true", .config_json = "[1]"};
  EXPECT_EQ(validate_task_spec(bad).error().code(), Errc::invalid_argument);
}

TEST(TaskSpec, DefaultsApplyToAMinimalSpec) {
  auto s = decode_task_spec(R"({"id":"t","driver":"oci","image":"alpine:3"})");
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->restart.mode, RestartMode::on_failure);
  EXPECT_EQ(s->health.kind, HealthKind::none);
  EXPECT_FALSE(s->network);
}

TEST(TaskSpec, BadInputNamesTheField) {
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"exec","command":"/bin/true","colour":1})").find("task.colour: unknown field"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"driver":"exec"})").find("task.id: missing"), std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"vm"})").find("driver: must be one of exec, sandbox, oci, builtin"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"exec","command":"/bin/true","restart":{"mode":"sometimes"}})")
                .find("task.restart.mode: must be one of always, on-failure, never"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"exec","command":"/bin/true","restart":{"max_restarts":"5"}})")
                .find("task.restart.max_restarts: must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"exec","artifact":"../../bin/sh"})").find("artifact"), std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"exec","command":"/bin/true","workdir":"a/../../etc"})").find("workdir"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"exec","command":"/bin/true","workdir":"/etc"})").find("workdir"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"id":"../x","driver":"exec","command":"/bin/true"})").find("id"), std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"exec","command":"/bin/true","env":{"1X":"v"}})").find("env.1X"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"exec","command":"bin/true"})").find("absolute"), std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"exec"})").find("needs command or artifact"), std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"oci"})").find("image"), std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"builtin","builtin":"x","config":[1]})").find("config"), std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"exec","command":"/bin/true","health":{"kind":"tcp"}})").find("health.port"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"sandbox","command":"/bin/true","health":{"kind":"tcp","port":80}})")
                .find("needs network: true"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"id":"t","driver":"exec","command":"/bin/true","restart":{"jitter":2}})")
                .find("restart.jitter"),
            std::string::npos);
}

TEST(TaskSpec, ASetRejectsDuplicateIds) {
  auto ok_set = decode_task_specs(encode_task_specs({full_spec()}));
  ASSERT_TRUE(ok_set) << ok_set.error().to_string();
  auto dup = decode_task_specs(encode_task_specs({full_spec(), full_spec()}));
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message().find("tasks[1]: duplicate id 'filter-1'"), std::string::npos)
      << dup.error().message();
  EXPECT_FALSE(decode_task_specs(R"({"id":"t"})"));
}

}  // namespace
}  // namespace iotwins::runtime
