#include <gmock/gmock.h>

#include "fixture.h"
#include "twins/events.h"

namespace iotwins::twins::testing {
namespace {

using nlohmann::json;
using dataplane::Event;
using dataplane::Record;
using dataplane::Sample;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000'000 * kMs;

TEST_F(ServiceTest, SamplesSetReportedWithTheirOwnTimestamps) {
  std::vector<Record> run = {Sample{"p1", "temperature", kT0, 20.0}, Sample{"p1", "temperature", kT0 + 5 * kMs, 21.0},
                             Sample{"p1", "pump.speed", kT0 + 3 * kMs, 1000.0}};
  ASSERT_TRUE(svc_->apply_records("telemetry", 1, run));
  auto doc = svc_->get_twin("p1");
  ASSERT_TRUE(doc);  // created by the permissive default rule
  EXPECT_EQ(doc->reported, json({{"temperature", 21.0}, {"pump", {{"speed", 1000.0}}}}));
  EXPECT_EQ(doc->reported_metadata["temperature"]["timestamp"], (kT0 + 5 * kMs) / kMs);
  EXPECT_EQ(doc->reported_metadata["pump"]["speed"]["timestamp"], (kT0 + 3 * kMs) / kMs);
  // An older sample arriving late does not overwrite a newer value.
  std::vector<Record> late = {Sample{"p1", "temperature", kT0 + 1 * kMs, 5.0}};
  ASSERT_TRUE(svc_->apply_records("telemetry", 4, late));
  EXPECT_EQ(svc_->get_twin("p1")->reported["temperature"], 21.0);
  EXPECT_EQ(svc_->stats().applied_updates, 2u);  // two timestamps in the first run
}

TEST_F(ServiceTest, TelemetryDoesNotOverwriteASetpointTheDeviceReports) {
  put("p1", json::object());
  ASSERT_TRUE(svc_->patch_state("p1", desired({{"speed", 2000}})));
  std::vector<Record> run = {Event{"p1", "reported", kT0, R"({"speed":2000})"},
                             Sample{"p1", "speed", kT0 + kMs, 1987.5}, Sample{"p1", "flow", kT0 + kMs, 40.0}};
  ASSERT_TRUE(svc_->apply_records("events", 1, run));
  auto doc = svc_->get_twin("p1");
  EXPECT_EQ(doc->reported, json({{"speed", 2000}, {"flow", 40.0}}));
  EXPECT_EQ(doc->delta, json::object());  // no flapping with the measured speed
}

TEST_F(ServiceTest, ARunReplayedAfterACrashIsAppliedOnce) {
  std::vector<Record> run = {Event{"p1", "reported", kT0, R"({"state":{"reported":{"mode":"auto"}}})"},
                             Sample{"p1", "t", kT0, 1.0}};
  ASSERT_TRUE(svc_->apply_records("events", 10, run));
  int64_t version = svc_->get_twin("p1")->version;
  reopen();
  ASSERT_TRUE(svc_->apply_records("events", 10, run));  // whole run again
  EXPECT_EQ(svc_->get_twin("p1")->version, version);
  // A run overlapping the mark applies only its new tail.
  std::vector<Record> overlap = {Sample{"p1", "t", kT0, 1.0}, Sample{"p1", "t", kT0 + kMs, 2.0}};
  ASSERT_TRUE(svc_->apply_records("events", 11, overlap));
  EXPECT_EQ(svc_->get_twin("p1")->version, version + 1);
  EXPECT_EQ(svc_->get_twin("p1")->reported["mode"], "auto");
  // Marks are per stream.
  ASSERT_TRUE(svc_->apply_records("telemetry", 1, std::vector<Record>{Sample{"p1", "t", kT0 + 2 * kMs, 3.0}}));
  EXPECT_EQ(svc_->get_twin("p1")->reported["t"], 3.0);
}

TEST_F(ServiceTest, StrictModeCreatesNothingAndRulesPickModels) {
  ASSERT_TRUE(svc_->put_model("Pump", kPumpModel));
  reopen({.autocreate = *AutoCreateRules::parse("strict")});
  ASSERT_TRUE(svc_->apply_records("telemetry", 1, std::vector<Record>{Sample{"x", "t", kT0, 1.0}}));
  EXPECT_EQ(svc_->get_twin("x").error().code(), Errc::not_found);
  EXPECT_EQ(svc_->stats().unknown_twins, 1u);
  reopen({.autocreate = *AutoCreateRules::parse("pump-*=Pump")});
  // A Pump requires a serial attribute: creation from data still works (attributes come later),
  // and the model checks the data's types.
  std::vector<Record> run = {Sample{"pump-1", "temperature", kT0, 30.0}, Sample{"valve-1", "t", kT0, 1.0}};
  ASSERT_TRUE(svc_->apply_records("telemetry", 2, run));  // seq 1 was applied (to nothing) above
  ASSERT_TRUE(svc_->get_twin("pump-1"));
  EXPECT_EQ(svc_->get_twin("pump-1")->model, "Pump");
  EXPECT_FALSE(svc_->get_twin("valve-1"));
  std::vector<Record> bad = {Event{"pump-1", "reported", kT0 + kMs, R"({"temperature":"hot"})"}};
  ASSERT_TRUE(svc_->apply_records("events", 1, bad));
  EXPECT_EQ(svc_->get_twin("pump-1")->reported["temperature"], 30.0);
  EXPECT_EQ(svc_->stats().refused_updates, 1u);
}

TEST_F(ServiceTest, EdgeDesiredChangesMergeFieldByFieldLastWriterWins) {
  put("p1", {{"node", "edge-1"}});
  clock_.set(kT0 + 100 * kMs);
  ASSERT_TRUE(svc_->patch_state("p1", desired({{"speed", 100}, {"mode", "auto"}})));  // cloud at t0+100ms
  // The edge changed speed at t0+50 (older: loses) and mode at t0+200 (newer: wins), and added a field.
  std::vector<Record> run = {
      Event{"p1", std::string(kDesiredEvent), kT0 + 50 * kMs, R"({"desired":{"speed":1}})"},
      Event{"p1", std::string(kDesiredEvent), kT0 + 200 * kMs, R"({"desired":{"mode":"manual","fan":{"on":true}}})"},
      Event{"p1", std::string(kAttachedEvent), kT0 + 200 * kMs, R"({"node":"edge-2"})"}};
  ASSERT_TRUE(svc_->apply_records("events", 1, run));
  auto doc = svc_->get_twin("p1");
  EXPECT_EQ(doc->desired, json({{"speed", 100}, {"mode", "manual"}, {"fan", {{"on", true}}}}));
  EXPECT_EQ(doc->desired_metadata["mode"]["timestamp"], (kT0 + 200 * kMs) / kMs);  // the edge's time
  EXPECT_EQ(*svc_->node_of("p1"), "edge-2");
}

TEST(AutoCreateRules, ParseAndMatch) {
  auto r = AutoCreateRules::parse("pump-*=Pump,valve-?\?=Valve,*");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->match("pump-7")->model, "Pump");
  EXPECT_EQ(r->match("valve-12")->model, "Valve");
  EXPECT_EQ(r->match("valve-123")->model, "");  // falls to '*'
  EXPECT_TRUE(AutoCreateRules::parse("strict")->rules.empty());
  EXPECT_EQ(AutoCreateRules::parse("strict")->match("x"), nullptr);
  EXPECT_FALSE(AutoCreateRules::parse("a=b,,c"));
  EXPECT_FALSE(AutoCreateRules::parse("=Pump"));
  EXPECT_FALSE(AutoCreateRules::parse("pu/mp=Pump"));
  EXPECT_TRUE(glob_match("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(glob_match("a*b*c", "aXXbYY"));
  EXPECT_TRUE(glob_match("*", ""));
}

}  // namespace
}  // namespace iotwins::twins::testing
