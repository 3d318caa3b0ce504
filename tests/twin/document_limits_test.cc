// Limits on updates and documents: every violation names the path and changes nothing; the
// planned size of a merge equals the size of what the merge produces.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "twin/document.h"
#include "twin/json_shape.h"
#include "twin/shadow.h"

namespace iotwins::twin {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

TwinDocument new_twin() { return *make_twin("pump-1", "Pump", Level::iot, "", {}, kT0); }

json nested(int levels, json leaf) {
  for (int i = levels; i >= 1; --i) leaf = json{{"l" + std::to_string(i), leaf}};
  return leaf;
}

void expect_rejected(TwinDocument& doc, const StateUpdate& update, Errc code,
                     const std::string& needle) {
  const json before = nlohmann::json{{"d", doc.desired}, {"r", doc.reported},
                                     {"dm", doc.desired_metadata}, {"v", doc.version}};
  auto r = apply_update(doc, update, kT0 + 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), code) << r.error().to_string();
  EXPECT_THAT(r.error().message(), HasSubstr(needle));
  const json after = nlohmann::json{{"d", doc.desired}, {"r", doc.reported},
                                    {"dm", doc.desired_metadata}, {"v", doc.version}};
  EXPECT_EQ(before, after);
}

TEST(ShadowLimits, DepthEightIsAcceptedNineIsRejectedWithThePath) {
  auto doc = new_twin();
  ASSERT_TRUE(apply_update(doc, {.desired = nested(8, 1)}, kT0).has_value());
  expect_rejected(doc, {.desired = nested(9, 1)}, Errc::too_large,
                  "state.desired.l1.l2.l3.l4.l5.l6.l7.l8.l9: nesting deeper than 8");
}

TEST(ShadowLimits, ArraysCountAsALevel) {
  auto doc = new_twin();
  expect_rejected(doc, {.reported = nested(8, json::array({1}))}, Errc::too_large,
                  "state.reported.l1.l2.l3.l4.l5.l6.l7.l8.0");
}

TEST(ShadowLimits, KeysInsideArraysAreChecked) {
  auto doc = new_twin();
  expect_rejected(doc, {.reported = json{{"list", json::array({json{{"a.b", 1}}})}}},
                  Errc::invalid_argument, "state.reported.list.0.a.b: key contains '.'");
}

TEST(ShadowLimits, KeyLengthAndShape) {
  auto doc = new_twin();
  expect_rejected(doc, {.desired = json{{std::string(129, 'k'), 1}}}, Errc::too_large,
                  "key is 129 bytes, limit 128");
  expect_rejected(doc, {.desired = json{{"", 1}}}, Errc::invalid_argument, "empty key");
  expect_rejected(doc, {.desired = json{{"pump", {{"a\nb", 1}}}}}, Errc::invalid_argument,
                  "control character");
}

TEST(ShadowLimits, KeysPerObjectCountsWhatIsAlreadyThere) {
  Limits limits;
  limits.max_keys_per_object = 4;
  auto doc = new_twin();
  ASSERT_TRUE(apply_update(doc, {.reported = json{{"p", {{"a", 1}, {"b", 1}, {"c", 1}}}}}, kT0,
                           limits));
  auto r = apply_update(doc, {.reported = json{{"p", {{"d", 1}, {"e", 1}}}}}, kT0, limits);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("state.reported.p: object would have 5 keys"));
  // Deleting one while adding two stays within the limit.
  EXPECT_TRUE(apply_update(doc, {.reported = json{{"p", {{"a", nullptr}, {"d", 1}, {"e", 1}}}}},
                           kT0, limits));
  EXPECT_EQ(doc.reported["p"].size(), 4u);
}

TEST(ShadowLimits, StateBytesCoverDesiredAndReportedTogether) {
  Limits limits;
  limits.max_state_bytes = 64;
  auto doc = new_twin();
  // {"s":"<20 x>"} is 28 bytes; with a second such key, 55.
  ASSERT_TRUE(apply_update(doc, {.desired = json{{"s", std::string(20, 'x')}}}, kT0, limits));
  ASSERT_TRUE(apply_update(doc, {.reported = json{{"s", std::string(20, 'x')}}}, kT0, limits));
  auto r = apply_update(doc, {.reported = json{{"t", std::string(20, 'y')}}}, kT0, limits);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::too_large);
  EXPECT_THAT(r.error().message(), HasSubstr("would hold 83 bytes"));
  EXPECT_EQ(doc.version, 3);
  // Deleting makes room again.
  EXPECT_TRUE(apply_update(doc, {.desired = nullptr, .reported = json{{"t", "y"}}}, kT0, limits));
}

TEST(JsonSize, MatchesDumpForEveryKindOfValue) {
  const json values[] = {
      nullptr, true, false, 0, -1, 1234567890123LL, 18446744073709551615ULL, 0.5, 3.0, -2.25e-7,
      1e21, 1e300, 123456789.125, "", "plain", "quote\" back\\ nl\n tab\t ctl\x01 \x1f",
      "utf-8 \xc3\xa9\xe2\x82\xac", json::array(), json::array({1, "a", nullptr}), json::object(),
      json{{"k", {{"n", {1, 2, {{"x", false}}}}}}, {"e\"sc", "v"}}};
  for (const auto& v : values) EXPECT_EQ(detail::json_size(v), v.dump().size()) << v.dump();
}

// Random updates against a random document: the size plan_merge predicts is the size of what
// merge_state builds, and merge_metadata keeps metadata mirroring the state's shape.
json random_value(std::mt19937& rng, int depth);

json random_object(std::mt19937& rng, int depth, bool allow_null) {
  json out = json::object();
  const int keys = static_cast<int>(rng() % 4);
  for (int i = 0; i < keys; ++i) {
    std::string key(1, static_cast<char>('a' + rng() % 5));
    if (allow_null && rng() % 4 == 0) {
      out[key] = nullptr;
    } else {
      out[key] = depth < 4 && rng() % 3 == 0 ? random_object(rng, depth + 1, allow_null)
                                             : random_value(rng, depth);
    }
  }
  return out;
}

json random_value(std::mt19937& rng, int depth) {
  switch (rng() % 5) {
    case 0: return static_cast<int>(rng() % 100);
    case 1: return (rng() % 1000) / 8.0;
    case 2: return std::string(rng() % 4, 'x');
    case 3: return json::array({rng() % 3, "q"});
    default: return depth < 4 ? random_object(std::ref(rng), depth + 1, false) : json(true);
  }
}

bool mirrors(const json& state, const json& metadata) {
  if (state.size() != metadata.size()) return false;
  for (const auto& [k, v] : state.items()) {
    if (!metadata.contains(k)) return false;
    const json& m = metadata[k];
    if (v.is_object()) {
      if (v.empty() || !mirrors(v, m)) return false;
    } else if (m != json{{"timestamp", 7}}) {
      return false;
    }
  }
  return true;
}

TEST(ShadowMerge, PlannedSizeAndMetadataMatchTheMergeOnRandomUpdates) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 2000; ++round) {
    json state = json::object();
    json metadata = json::object();
    for (int step = 0; step < 4; ++step) {
      json update = random_object(rng, 1, true);
      auto planned = detail::plan_merge(state, update, "s", Limits{});
      ASSERT_TRUE(planned.has_value());
      std::string path = "s";
      std::vector<std::string> changed;
      detail::merge_state(state, update, path, changed);
      detail::merge_metadata(metadata, update, state, 7);
      ASSERT_EQ(*planned, state.dump().size()) << "update " << update.dump();
      ASSERT_TRUE(mirrors(state, metadata)) << state.dump() << " / " << metadata.dump();
    }
  }
}

}  // namespace
}  // namespace iotwins::twin
