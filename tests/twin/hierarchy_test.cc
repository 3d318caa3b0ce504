#include "twin/hierarchy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "twin/aggregate.h"

namespace iotwins::twin {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// site-1 (cloud) > line-1, line-2 (edge) > m-1, m-2 under line-1, m-3 under line-2 (iot)
// > c-1 under m-1 (iot)
Hierarchy plant() {
  auto h = Hierarchy::build({{"c-1", "m-1", Level::iot},
                             {"m-1", "line-1", Level::iot},
                             {"m-2", "line-1", Level::iot},
                             {"m-3", "line-2", Level::iot},
                             {"line-1", "site-1", Level::edge},
                             {"line-2", "site-1", Level::edge},
                             {"site-1", "", Level::cloud}});
  EXPECT_TRUE(h.has_value()) << h.error().to_string();
  return std::move(*h);
}

TEST(Hierarchy, ParentsChildrenAncestorsDescendants) {
  auto h = plant();
  EXPECT_EQ(h.size(), 7u);
  EXPECT_EQ(*h.parent_of("m-1"), "line-1");
  EXPECT_EQ(*h.parent_of("site-1"), "");
  EXPECT_THAT(*h.children("line-1"), ElementsAre("m-1", "m-2"));
  EXPECT_THAT(*h.children("c-1"), ElementsAre());
  EXPECT_THAT(*h.ancestors("c-1"), ElementsAre("m-1", "line-1", "site-1"));
  EXPECT_THAT(*h.descendants("site-1"),
              ElementsAre("line-1", "m-1", "c-1", "m-2", "line-2", "m-3"));
  EXPECT_TRUE(h.is_under("c-1", "site-1"));
  EXPECT_TRUE(h.is_under("c-1", "m-1"));
  EXPECT_FALSE(h.is_under("c-1", "c-1"));
  EXPECT_FALSE(h.is_under("m-3", "line-1"));
  EXPECT_FALSE(h.is_under("ghost", "site-1"));
  EXPECT_EQ(h.children("ghost").error().code(), Errc::not_found);
}

TEST(Hierarchy, BuildRejectsMissingParentsDuplicatesAndCycles) {
  auto r = Hierarchy::build({{"a", "b"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("parent b is not among the twins"));
  r = Hierarchy::build({{"a", ""}, {"a", ""}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::already_exists);
  r = Hierarchy::build({{"a", "c"}, {"b", "a"}, {"c", "b"}, {"root", ""}});
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("parent cycle"));
}

TEST(Hierarchy, LevelRuleIotUnderEdgeUnderCloud) {
  auto r = Hierarchy::build({{"gw", "", Level::edge}, {"dc", "gw", Level::cloud}});
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("twin dc is at level cloud but sits under a twin "
                                             "at level edge"));
  // Unset levels are skipped: the nearest twin with a level decides.
  EXPECT_TRUE(Hierarchy::build({{"gw", "", Level::edge}, {"x", "gw"}, {"s", "x", Level::iot}}));
  auto bad = Hierarchy::build({{"gw", "", Level::iot}, {"x", "gw"}, {"s", "x", Level::edge}});
  EXPECT_FALSE(bad.has_value());
  auto h = plant();
  EXPECT_FALSE(h.add({"cloud-2", "m-1", Level::cloud}));
  EXPECT_TRUE(h.add({"sensor-9", "m-1", Level::iot}));
  EXPECT_FALSE(h.add({"gw-2", "c-1", Level::edge}));
}

TEST(Hierarchy, SetLevelChecksTheWholeSubtreeAndUndoes) {
  auto h = plant();
  auto s = h.set_level("line-1", Level::iot);  // its iot machines still fit under iot
  EXPECT_TRUE(s.has_value());
  s = h.set_level("site-1", Level::iot);  // line-2 is edge: refused
  ASSERT_FALSE(s.has_value());
  EXPECT_THAT(s.error().message(), HasSubstr("twin line-2 is at level edge"));
  EXPECT_TRUE(h.add({"edge-9", "site-1", Level::edge}));  // site-1 is still cloud
}

TEST(Hierarchy, MovesRefuseCyclesAndLevelViolationsAndChangeNothing) {
  auto h = plant();
  auto s = h.set_parent("line-1", "c-1");
  ASSERT_FALSE(s.has_value());
  EXPECT_THAT(s.error().message(), HasSubstr("would make a cycle"));
  s = h.set_parent("m-1", "m-1");
  EXPECT_FALSE(s.has_value());
  s = h.set_parent("line-2", "m-2");  // an edge line under an iot machine
  ASSERT_FALSE(s.has_value());
  EXPECT_THAT(s.error().message(), HasSubstr("level"));
  EXPECT_EQ(*h.parent_of("line-2"), "site-1");
  EXPECT_THAT(*h.children("m-2"), ElementsAre());
  EXPECT_THAT(*h.children("site-1"), ElementsAre("line-1", "line-2"));

  ASSERT_TRUE(h.set_parent("m-3", "line-1"));
  EXPECT_THAT(*h.children("line-1"), ElementsAre("m-1", "m-2", "m-3"));
  EXPECT_THAT(*h.children("line-2"), ElementsAre());
  EXPECT_TRUE(h.is_under("m-3", "line-1"));
  ASSERT_TRUE(h.set_parent("m-3", ""));
  EXPECT_THAT(*h.ancestors("m-3"), ElementsAre());
}

TEST(Hierarchy, AddAndRemove) {
  auto h = plant();
  EXPECT_EQ(h.add({"m-1", "line-1"}).error().code(), Errc::already_exists);
  EXPECT_EQ(h.add({"m-9", "nowhere"}).error().code(), Errc::not_found);
  EXPECT_EQ(h.add({"bad id", ""}).error().code(), Errc::invalid_argument);
  auto s = h.remove("m-1");
  ASSERT_FALSE(s.has_value());
  EXPECT_THAT(s.error().message(), HasSubstr("still has 1 children (first: c-1)"));
  ASSERT_TRUE(h.remove("c-1"));
  ASSERT_TRUE(h.remove("m-1"));
  EXPECT_THAT(*h.children("line-1"), ElementsAre("m-2"));
  EXPECT_FALSE(h.contains("m-1"));
}

TEST(Hierarchy, DeepChainsNeedNoRecursion) {
  std::vector<HierarchyNode> nodes{{"n0", ""}};
  for (int i = 1; i < 20000; ++i) nodes.push_back({"n" + std::to_string(i), "n" + std::to_string(i - 1)});
  auto h = Hierarchy::build(nodes);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->descendants("n0")->size(), 19999u);
  EXPECT_TRUE(h->is_under("n19999", "n0"));
  EXPECT_TRUE(h->set_level("n0", Level::cloud));
}

struct Docs {
  std::map<std::string, TwinDocument, std::less<>> by_id;
  void put(std::string id, json reported) {
    TwinDocument d;
    d.id = id;
    d.reported = std::move(reported);
    by_id[id] = std::move(d);
  }
  DocLookup lookup() const {
    return [this](std::string_view id) -> const TwinDocument* {
      auto it = by_id.find(id);
      return it == by_id.end() ? nullptr : &it->second;
    };
  }
};

TEST(Aggregate, LineHealthIsTheWorstOfItsMachines) {
  auto h = plant();
  Docs docs;
  docs.put("m-1", {{"health", "warning"}, {"temperature", 70}});
  docs.put("m-2", {{"health", "ok"}, {"temperature", 80.5}});
  docs.put("c-1", {{"health", "critical"}, {"temperature", "n/a"}});
  docs.put("m-3", {{"health", "ok"}});
  auto r = aggregate(h, docs.lookup(), {.root = "line-1", .field = "reported.health",
                                         .kind = AggregateKind::worst_health,
                                         .scope = AggregateScope::children});
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_EQ(r->value, "warning");
  EXPECT_EQ(r->count, 2u);
  r = aggregate(h, docs.lookup(), {.root = "line-1", .field = "reported.health",
                                    .kind = AggregateKind::worst_health});
  EXPECT_EQ(r->value, "critical");  // descendants include the component
  r = aggregate(h, docs.lookup(), {.root = "line-2", .field = "reported.health",
                                    .kind = AggregateKind::worst_health});
  EXPECT_EQ(r->value, "ok");
}

TEST(Aggregate, NumericAggregatesSkipWhatIsNotANumber) {
  auto h = plant();
  Docs docs;
  docs.put("m-1", {{"temperature", 70}});
  docs.put("m-2", {{"temperature", 80.5}});
  docs.put("c-1", {{"temperature", "n/a"}});  // m-... no document for line-*/m-3
  auto agg = [&](AggregateKind kind) {
    auto r = aggregate(h, docs.lookup(), {.root = "site-1", .field = "reported.temperature",
                                           .kind = kind});
    EXPECT_TRUE(r.has_value());
    return *r;
  };
  auto mean = agg(AggregateKind::mean);
  EXPECT_DOUBLE_EQ(mean.value.get<double>(), (70 + 80.5) / 2);
  EXPECT_EQ(mean.count, 2u);
  EXPECT_EQ(mean.missing, 4u);  // line-1, line-2, m-3 (no document), c-1 (a string)
  EXPECT_DOUBLE_EQ(agg(AggregateKind::sum).value.get<double>(), 150.5);
  EXPECT_DOUBLE_EQ(agg(AggregateKind::min).value.get<double>(), 70);
  EXPECT_DOUBLE_EQ(agg(AggregateKind::max).value.get<double>(), 80.5);
  EXPECT_EQ(agg(AggregateKind::count).value, 3);  // the string counts as a value
  auto none = aggregate(h, docs.lookup(), {.root = "line-2", .field = "reported.temperature"});
  EXPECT_TRUE(none->value.is_null());
}

TEST(Aggregate, Errors) {
  auto h = plant();
  Docs docs;
  auto r = aggregate(h, docs.lookup(), {.root = "ghost", .field = "reported.x"});
  EXPECT_EQ(r.error().code(), Errc::not_found);
  r = aggregate(h, docs.lookup(), {.root = "site-1", .field = "colour"});
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("aggregate field: column 1: unknown field"));
  EXPECT_EQ(*parse_aggregate_kind("worst_health"), AggregateKind::worst_health);
  EXPECT_FALSE(parse_aggregate_kind("median"));
}

}  // namespace
}  // namespace iotwins::twin
