#include "runtime/builtin.h"
#include "runtime/process_driver.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "helpers.h"

namespace iotwins::runtime {
namespace {

using testing::eventually;
using testing::Workspace;

// A tiny real operator: logs `count` lines, then either finishes or (forever: true) waits for
// its stop token; `fail` ends it with an error.
class Counter final : public BuiltinTask {
 public:
  Counter(const BuiltinContext& ctx, int count, bool forever, bool fail)
      : ctx_(ctx), count_(count), forever_(forever), fail_(fail) {}
  Status run(std::stop_token stop) override {
    for (int i = 0; i < count_; ++i) ctx_.log("tick " + std::to_string(i) + " of " + ctx_.task_id);
    if (fail_) return make_error(Errc::io_error, "sensor feed closed");
    while (forever_ && !stop.stop_requested()) {
      std::mutex mu;
      std::condition_variable_any cv;
      std::unique_lock lock(mu);
      cv.wait(lock, stop, [] { return false; });
    }
    return ok();
  }

 private:
  BuiltinContext ctx_;
  int count_;
  bool forever_, fail_;
};

BuiltinRegistry& registry() {
  static BuiltinRegistry* r = [] {
    auto* reg = new BuiltinRegistry();
    (void)reg->add("counter", [](const BuiltinContext& ctx) -> Result<std::unique_ptr<BuiltinTask>> {
      auto cfg = nlohmann::json::parse(ctx.config_json);
      if (!cfg.contains("count") || !cfg["count"].is_number_integer()) {
        return make_error(Errc::invalid_argument, "config.count: must be an integer");
      }
      return std::make_unique<Counter>(ctx, cfg["count"].get<int>(), cfg.value("forever", false),
                                       cfg.value("fail", false));
    });
    return reg;
  }();
  return *r;
}

TaskSpec counter(const std::string& id, const std::string& config) {
  return TaskSpec{.id = id, .driver = "builtin", .builtin = "counter", .config_json = config};
}

TEST(BuiltinDriver, RunsARegisteredOperatorToCompletion) {
  Workspace ws("w");
  BuiltinDriver driver(ws.config(), registry());
  ASSERT_TRUE(driver.start(counter("c1", R"({"count":3})")));
  std::optional<TaskExit> exit;
  ASSERT_TRUE(eventually([&] { return (exit = driver.poll("c1")).has_value(); }));
  EXPECT_TRUE(exit->success());
  EXPECT_EQ(*read_task_log(ws.config(), "c1", "stdout", 1000), "tick 0 of c1\ntick 1 of c1\ntick 2 of c1\n");
}

TEST(BuiltinDriver, ItsLogIsRotatedAtTheCap) {
  Workspace ws("w");
  DriverConfig config = ws.config();
  config.log_max_bytes = 30;  // each line is 13 bytes: the third one rotates
  BuiltinDriver driver(config, registry());
  ASSERT_TRUE(driver.start(counter("c2", R"({"count":4})")));
  ASSERT_TRUE(eventually([&] { return driver.poll("c2").has_value(); }));
  EXPECT_EQ(testing::read_file(config.tasks_dir + "/c2/logs/stdout.log.1"), "tick 0 of c2\ntick 1 of c2\ntick 2 of c2\n");
  EXPECT_EQ(*read_task_log(config, "c2", "stdout", 1000), "tick 0 of c2\ntick 1 of c2\ntick 2 of c2\ntick 3 of c2\n");
}

TEST(BuiltinDriver, StopRequestsTheTokenAndAnErrorIsExitCodeOne) {
  Workspace ws("w");
  BuiltinDriver driver(ws.config(), registry());
  ASSERT_TRUE(driver.start(counter("forever", R"({"count":1,"forever":true})")));
  EXPECT_FALSE(driver.poll("forever").has_value());
  EXPECT_TRUE(driver.stats("forever"));
  auto stopped = driver.stop("forever", std::chrono::seconds(10));
  ASSERT_TRUE(stopped) << stopped.error().to_string();
  EXPECT_TRUE(stopped->success());

  ASSERT_TRUE(driver.start(counter("broken", R"({"count":0,"fail":true})")));
  std::optional<TaskExit> exit;
  ASSERT_TRUE(eventually([&] { return (exit = driver.poll("broken")).has_value(); }));
  EXPECT_EQ(exit->code, 1);
  EXPECT_NE(exit->reason.find("sensor feed closed"), std::string::npos) << exit->reason;
}

TEST(BuiltinDriver, UnknownOperatorsAndBadConfigsFailTheStart) {
  Workspace ws("w");
  BuiltinDriver driver(ws.config(), registry());
  TaskSpec unknown = counter("u", "{}");
  unknown.builtin = "nope";
  auto r = driver.start(unknown);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::not_found);
  EXPECT_NE(r.error().message().find("counter"), std::string::npos);  // names what is known
  auto bad = driver.start(counter("b", R"({"count":"three"})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::invalid_argument);
  EXPECT_EQ(driver.recover(TaskHandle{.task_id = "c", .driver = "builtin"}).error().code(), Errc::not_found);
}

}  // namespace
}  // namespace iotwins::runtime
