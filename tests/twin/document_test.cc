// Walks the AWS IoT Device Shadow rules one by one against apply_update.
#include "twin/document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace iotwins::twin {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;  // ns
constexpr int64_t kMs = 1'000'000;

TwinDocument new_twin() {
  auto doc = make_twin("pump-1", "Pump", Level::iot, "line-2", json::object(), kT0);
  EXPECT_TRUE(doc.has_value());
  return *doc;
}

Changes must_apply(TwinDocument& doc, StateUpdate update, int64_t now = kT0) {
  auto r = apply_update(doc, update, now);
  EXPECT_TRUE(r.has_value()) << r.error().to_string();
  return r ? *r : Changes{};
}

TEST(ShadowDelta, FieldsOnlyInReportedAreLeftOutOfDelta) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"temperature", 81}, {"speed", 1200}}});
  EXPECT_EQ(doc.delta, json::object());
  must_apply(doc, {.desired = json{{"speed", 1500}}});
  EXPECT_EQ(doc.delta, (json{{"speed", 1500}}));
}

TEST(ShadowDelta, DesiredFieldMissingFromReportedIsInDelta) {
  auto doc = new_twin();
  auto c = must_apply(doc, {.desired = json{{"mode", "auto"}}});
  EXPECT_EQ(doc.delta, (json{{"mode", "auto"}}));
  EXPECT_TRUE(c.delta_changed);
}

TEST(ShadowDelta, ReportingTheDesiredValueClearsItFromDelta) {
  auto doc = new_twin();
  must_apply(doc, {.desired = json{{"speed", 1500}, {"mode", "auto"}}});
  auto c = must_apply(doc, {.reported = json{{"speed", 1500}}});
  EXPECT_EQ(doc.delta, (json{{"mode", "auto"}}));
  EXPECT_TRUE(c.delta_changed);
  c = must_apply(doc, {.reported = json{{"mode", "auto"}}});
  EXPECT_EQ(doc.delta, json::object());
  EXPECT_TRUE(c.delta_changed);
}

TEST(ShadowDelta, DesiredEqualToReportedNeverEntersDelta) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"speed", 1500}}});
  auto c = must_apply(doc, {.desired = json{{"speed", 1500}}});
  EXPECT_EQ(doc.delta, json::object());
  EXPECT_FALSE(c.delta_changed);
  EXPECT_TRUE(c.delta_message.is_null());  // nothing to tell the device
}

TEST(ShadowDelta, NestedDifferencesKeepTheirFullPath) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"pump", {{"speed", 90}, {"mode", "auto"}}}}});
  auto c = must_apply(doc, {.desired = json{{"pump", {{"speed", 100}, {"mode", "auto"}}}}});
  EXPECT_EQ(doc.delta, (json{{"pump", {{"speed", 100}}}}));
  EXPECT_THAT(c.changed_paths, ElementsAre("state.desired.pump"));  // a new subtree, listed once
  c = must_apply(doc, {.desired = json{{"pump", {{"speed", 110}}}}});
  EXPECT_THAT(c.changed_paths, ElementsAre("state.desired.pump.speed"));
  EXPECT_EQ(doc.delta, (json{{"pump", {{"speed", 110}}}}));
}

TEST(ShadowDelta, ObjectDesiredOverScalarReportedIsWhollyInDelta) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"pump", "off"}}});
  must_apply(doc, {.desired = json{{"pump", {{"speed", 100}}}}});
  EXPECT_EQ(doc.delta, (json{{"pump", {{"speed", 100}}}}));
}

TEST(ShadowDelta, ArraysAreComparedWhole) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"colors", {"red", "green"}}}});
  must_apply(doc, {.desired = json{{"colors", {"red", "green"}}}});
  EXPECT_EQ(doc.delta, json::object());
  must_apply(doc, {.reported = json{{"colors", {"green", "red"}}}});
  EXPECT_EQ(doc.delta, (json{{"colors", {"red", "green"}}}));
}

TEST(ShadowMerge, ArraysAreReplacedWhole) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"colors", {"red", "green", "blue"}}}});
  auto c = must_apply(doc, {.reported = json{{"colors", {"yellow"}}}});
  EXPECT_EQ(doc.reported, (json{{"colors", {"yellow"}}}));
  EXPECT_THAT(c.changed_paths, ElementsAre("state.reported.colors"));
}

TEST(ShadowMerge, ObjectsMergeKeyByKey) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"pump", {{"speed", 90}, {"mode", "auto"}}}, {"on", true}}});
  must_apply(doc, {.reported = json{{"pump", {{"speed", 95}}}}});
  EXPECT_EQ(doc.reported, (json{{"pump", {{"speed", 95}, {"mode", "auto"}}}, {"on", true}}));
}

TEST(ShadowMerge, NullDeletesAField) {
  auto doc = new_twin();
  must_apply(doc, {.desired = json{{"a", 1}, {"b", 2}}});
  auto c = must_apply(doc, {.desired = json{{"a", nullptr}}});
  EXPECT_EQ(doc.desired, (json{{"b", 2}}));
  EXPECT_FALSE(doc.desired_metadata.contains("a"));
  EXPECT_EQ(doc.delta, (json{{"b", 2}}));
  EXPECT_THAT(c.changed_paths, ElementsAre("state.desired.a"));
}

TEST(ShadowMerge, DeletingTheLastKeyRemovesTheEmptyObject) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"pump", {{"speed", 90}}}, {"on", true}}});
  must_apply(doc, {.reported = json{{"pump", {{"speed", nullptr}}}}});
  EXPECT_EQ(doc.reported, (json{{"on", true}}));
  EXPECT_EQ(doc.reported_metadata.size(), 1u);
  EXPECT_TRUE(doc.reported_metadata.contains("on"));
}

TEST(ShadowMerge, NullSectionDeletesAllOfIt) {
  auto doc = new_twin();
  must_apply(doc, {.desired = json{{"a", 1}, {"b", {{"c", 2}}}}});
  auto c = must_apply(doc, {.desired = nullptr});
  EXPECT_EQ(doc.desired, json::object());
  EXPECT_EQ(doc.desired_metadata, json::object());
  EXPECT_EQ(doc.delta, json::object());
  EXPECT_THAT(c.changed_paths, UnorderedElementsAre("state.desired.a", "state.desired.b"));
  EXPECT_TRUE(c.delta_changed);
}

TEST(ShadowMerge, DeletingAMissingFieldChangesNothingButIsAccepted) {
  auto doc = new_twin();
  auto c = must_apply(doc, {.reported = json{{"ghost", nullptr}}});
  EXPECT_TRUE(c.changed_paths.empty());
  EXPECT_EQ(doc.reported, json::object());
  EXPECT_EQ(c.version, 2);
}

TEST(ShadowMerge, EmptyObjectCreatesNothingAndLeavesAScalarAlone) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"a", 5}}});
  auto c = must_apply(doc, {.reported = json{{"a", json::object()}, {"b", json::object()}}});
  EXPECT_EQ(doc.reported, (json{{"a", 5}}));
  EXPECT_TRUE(c.changed_paths.empty());
  EXPECT_EQ(doc.reported_metadata, (json{{"a", {{"timestamp", kT0 / kMs}}}}));
}

TEST(ShadowMerge, ObjectReplacesScalarAndScalarReplacesObject) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"a", 5}}}, kT0);
  must_apply(doc, {.reported = json{{"a", {{"x", 1}}}}}, kT0 + 1000 * kMs);
  EXPECT_EQ(doc.reported, (json{{"a", {{"x", 1}}}}));
  EXPECT_EQ(doc.reported_metadata, (json{{"a", {{"x", {{"timestamp", kT0 / kMs + 1000}}}}}}));
  must_apply(doc, {.reported = json{{"a", "flat"}}}, kT0 + 2000 * kMs);
  EXPECT_EQ(doc.reported_metadata, (json{{"a", {{"timestamp", kT0 / kMs + 2000}}}}));
}

TEST(ShadowMetadata, EveryLeafCarriesTheTimeOfItsLastUpdate) {
  auto doc = new_twin();
  const int64_t t1 = kT0, t2 = kT0 + 5000 * kMs;
  must_apply(doc, {.reported = json{{"a", 1}, {"b", {{"c", 2}, {"d", {1, 2}}}}}}, t1);
  must_apply(doc, {.reported = json{{"b", {{"c", 3}}}}}, t2);
  json expected = {{"a", {{"timestamp", t1 / kMs}}},
                   {"b", {{"c", {{"timestamp", t2 / kMs}}}, {"d", {{"timestamp", t1 / kMs}}}}}};
  EXPECT_EQ(doc.reported_metadata, expected);
  EXPECT_EQ(doc.updated_ms, t2 / kMs);
}

TEST(ShadowMetadata, AnUnchangedValueStillGetsANewTimestamp) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"a", 1}}}, kT0);
  auto c = must_apply(doc, {.reported = json{{"a", 1}}}, kT0 + 7 * kMs);
  EXPECT_TRUE(c.changed_paths.empty());
  EXPECT_EQ(doc.reported_metadata["a"]["timestamp"], kT0 / kMs + 7);
}

TEST(ShadowMetadata, StateKeyNamedTimestampIsNotMistakenForALeaf) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"clock", {{"timestamp", 42}}}}}, kT0);
  must_apply(doc, {.reported = json{{"clock", {{"zone", "UTC"}}}}}, kT0 + kMs);
  EXPECT_EQ(doc.reported_metadata,
            (json{{"clock", {{"timestamp", {{"timestamp", kT0 / kMs}}},
                             {"zone", {{"timestamp", kT0 / kMs + 1}}}}}}));
}

TEST(ShadowDeltaMessage, DeltaMetadataIsTheDesiredMetadata) {
  auto doc = new_twin();
  const int64_t t1 = kT0, t2 = kT0 + 3000 * kMs;
  must_apply(doc, {.desired = json{{"speed", 1500}, {"pump", {{"mode", "auto"}}}}}, t1);
  auto c = must_apply(doc, {.desired = json{{"speed", 1600}}}, t2);
  ASSERT_TRUE(c.delta_message.is_object());
  EXPECT_EQ(c.delta_message["state"], (json{{"speed", 1600}, {"pump", {{"mode", "auto"}}}}));
  EXPECT_EQ(c.delta_message["metadata"]["speed"], doc.desired_metadata["speed"]);
  EXPECT_EQ(c.delta_message["metadata"]["pump"], doc.desired_metadata["pump"]);
  EXPECT_EQ(c.delta_message["metadata"]["speed"]["timestamp"], t2 / kMs);
  EXPECT_EQ(c.delta_message["metadata"]["pump"]["mode"]["timestamp"], t1 / kMs);
  EXPECT_EQ(c.delta_message["version"], c.version);
  EXPECT_EQ(delta_message(doc), c.delta_message);
}

TEST(ShadowDeltaMessage, OnlyDesiredUpdatesPublishADelta) {
  auto doc = new_twin();
  must_apply(doc, {.desired = json{{"speed", 1500}, {"mode", "auto"}}});
  auto c = must_apply(doc, {.reported = json{{"speed", 1500}}});
  EXPECT_TRUE(c.delta_message.is_null());
  EXPECT_TRUE(c.delta_changed);
  EXPECT_EQ(delta_message(doc)["state"], (json{{"mode", "auto"}}));
}

TEST(ShadowDeltaMessage, DeltaMetadataLeavesOutFieldsNotInDelta) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"pump", {{"speed", 90}}}}});
  auto c = must_apply(doc, {.desired = json{{"pump", {{"speed", 90}, {"mode", "auto"}}}}});
  EXPECT_EQ(c.delta_message["state"], (json{{"pump", {{"mode", "auto"}}}}));
  EXPECT_EQ(c.delta_message["metadata"], (json{{"pump", {{"mode", {{"timestamp", kT0 / kMs}}}}}}));
}

TEST(ShadowVersion, EveryAcceptedUpdateIncrementsOnce) {
  auto doc = new_twin();
  EXPECT_EQ(doc.version, 1);
  auto c = must_apply(doc, {.desired = json{{"a", 1}}, .reported = json{{"b", 2}}});
  EXPECT_EQ(c.version, 2);
  c = must_apply(doc, {.reported = json{{"b", 2}}});  // no value changed
  EXPECT_EQ(c.version, 3);
  EXPECT_EQ(doc.version, 3);
}

TEST(ShadowVersion, MatchingVersionIsAccepted) {
  auto doc = new_twin();
  auto c = must_apply(doc, {.desired = json{{"a", 1}}, .expected_version = 1});
  EXPECT_EQ(c.version, 2);
}

TEST(ShadowVersion, StaleVersionIsAConflictAndChangesNothing) {
  auto doc = new_twin();
  must_apply(doc, {.desired = json{{"a", 1}}});
  const json before = doc.desired;
  auto r = apply_update(doc, {.desired = json{{"a", 2}}, .expected_version = 1}, kT0 + kMs);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::conflict);
  EXPECT_THAT(r.error().message(), ::testing::HasSubstr("version 2"));
  EXPECT_EQ(doc.desired, before);
  EXPECT_EQ(doc.version, 2);
  EXPECT_EQ(doc.updated_ms, kT0 / kMs);
}

TEST(ShadowUpdate, AnUpdateMustCarryAState) {
  auto doc = new_twin();
  auto r = apply_update(doc, {}, kT0);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::invalid_argument);
  r = apply_update(doc, {.reported = json::array({1})}, kT0);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), ::testing::HasSubstr("state.reported"));
  EXPECT_EQ(doc.version, 1);
}

TEST(ShadowUpdate, ChangedPathsListEachChangedLeafInOrder) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"a", 1}, {"b", {{"c", 1}, {"d", 1}}}}});
  auto c = must_apply(doc, {.reported = json{{"a", 1}, {"b", {{"c", 2}, {"d", nullptr}}}}});
  EXPECT_THAT(c.changed_paths, ElementsAre("state.reported.b.c", "state.reported.b.d"));
}

TEST(ShadowUpdate, IntegerAndFloatOfEqualValueAreEqual) {
  auto doc = new_twin();
  must_apply(doc, {.reported = json{{"speed", 1500}}});
  must_apply(doc, {.desired = json{{"speed", 1500.0}}});
  EXPECT_EQ(doc.delta, json::object());
}

}  // namespace
}  // namespace iotwins::twin
