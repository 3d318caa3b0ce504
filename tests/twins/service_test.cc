#include <gmock/gmock.h>

#include "fixture.h"

namespace iotwins::twins::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

TEST_F(ServiceTest, ModelsPutGetListDelete) {
  auto created = svc_->put_model("Pump", kPumpModel);
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_TRUE(*created);
  EXPECT_FALSE(*svc_->put_model("Pump", kPumpModel));  // replaced
  EXPECT_EQ(svc_->list_models().size(), 1u);
  EXPECT_EQ(svc_->get_model("Pump")->desired.size(), 2u);
  auto mismatch = svc_->put_model("Valve", kPumpModel);
  ASSERT_FALSE(mismatch);
  EXPECT_THAT(mismatch.error().message(), HasSubstr("differs"));
  auto bad = svc_->put_model("Bad", "{\"id\": \"Bad\", \"desired\": {\"x\": {\"type\": \"nope\"}}}");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::invalid_argument);
  EXPECT_FALSE(svc_->get_model("Bad"));

  put("p1", {{"model", "Pump"}, {"attributes", {{"serial", "AB-1"}}}});
  auto in_use = svc_->delete_model("Pump");
  ASSERT_FALSE(in_use);
  EXPECT_EQ(in_use.error().code(), Errc::conflict);
  EXPECT_THAT(in_use.error().message(), HasSubstr("p1"));
  ASSERT_TRUE(svc_->delete_twin("p1", std::nullopt));
  ASSERT_TRUE(svc_->delete_model("Pump"));
  EXPECT_EQ(svc_->get_model("Pump").error().code(), Errc::not_found);
}

TEST_F(ServiceTest, PutCreatesThenReplacesDescriptionKeepingState) {
  ASSERT_TRUE(svc_->put_model("Pump", kPumpModel));
  auto r = svc_->put_twin("p1", {{"model", "Pump"}, {"attributes", {{"serial", "AB-1"}}},
                                 {"state", {{"desired", {{"speed", 1200}}}}}}, std::nullopt);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->created);
  EXPECT_EQ(r->doc.version, 2);  // created at 1, then the initial state
  EXPECT_EQ(r->doc.desired, json({{"speed", 1200}}));
  EXPECT_EQ(r->doc.delta, json({{"speed", 1200}}));

  auto again = svc_->put_twin("p1", {{"model", "Pump"}, {"attributes", {{"serial", "AB-2"}}}}, 2);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->doc.version, 3);
  EXPECT_EQ(again->doc.attributes["serial"], "AB-2");
  EXPECT_EQ(again->doc.desired, json({{"speed", 1200}}));  // state kept

  auto stale = svc_->put_twin("p1", {{"model", "Pump"}, {"attributes", {{"serial", "AB-3"}}}}, 2);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), Errc::conflict);
  EXPECT_EQ(svc_->get_twin("p1")->attributes["serial"], "AB-2");
}

TEST_F(ServiceTest, PutRefusesBadInputAndChangesNothing) {
  ASSERT_TRUE(svc_->put_model("Pump", kPumpModel));
  struct Case {
    const char* id;
    json body;
    const char* says;
  } cases[] = {
      {"p1", {{"model", "Pump"}}, "serial"},                         // required attribute
      {"p1", {{"model", "Nope"}}, "no twin model 'Nope'"},
      {"p1", {{"parent", "missing"}}, "parent twin 'missing'"},
      {"p1", {{"colour", "red"}}, "unknown key 'colour'"},
      {"p1", {{"level", "orbit"}}, "orbit"},
      {"p1", {{"id", "p2"}}, "differs"},
      {"bad id!", json::object(), "twin id"},
      {"p1", {{"model", "Pump"}, {"attributes", {{"serial", "x"}}}, {"state", {{"desired", {{"speed", 99999}}}}}},
       "speed"},
  };
  for (const auto& c : cases) {
    auto r = svc_->put_twin(c.id, c.body, std::nullopt);
    ASSERT_FALSE(r) << c.body.dump();
    EXPECT_THAT(r.error().message(), HasSubstr(c.says)) << c.body.dump();
  }
  EXPECT_EQ(svc_->stats().twins, 0u);
  EXPECT_EQ(svc_->last_seq(), 0);
}

TEST_F(ServiceTest, PatchStateFollowsShadowRulesAndVersions) {
  ASSERT_TRUE(svc_->put_model("Pump", kPumpModel));
  put("p1", {{"model", "Pump"}, {"attributes", {{"serial", "AB-1"}}}});
  clock_.advance(std::chrono::seconds(1));
  auto d = svc_->patch_state("p1", desired({{"speed", 1500}, {"mode", "auto"}}, 1));
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->version, 2);
  EXPECT_EQ(d->delta, json({{"speed", 1500}, {"mode", "auto"}}));
  auto rep = svc_->patch_state("p1", {std::nullopt, json{{"speed", 1500}, {"temperature", 40.5}}, std::nullopt});
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->delta, json({{"mode", "auto"}}));
  // Stale version: 409 and nothing changes.
  auto stale = svc_->patch_state("p1", desired({{"speed", 10}}, 2));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), Errc::conflict);
  // The model refuses values out of range or of the wrong type, naming the field.
  auto range = svc_->patch_state("p1", desired({{"speed", 5000}}));
  ASSERT_FALSE(range);
  EXPECT_THAT(range.error().message(), HasSubstr("speed"));
  auto type = svc_->patch_state("p1", {std::nullopt, json{{"temperature", "hot"}}, std::nullopt});
  ASSERT_FALSE(type);
  // null deletes.
  auto del = svc_->patch_state("p1", desired({{"mode", nullptr}}));
  ASSERT_TRUE(del);
  EXPECT_EQ(del->delta, json::object());
  EXPECT_EQ(del->version, 4);
  EXPECT_EQ(svc_->patch_state("nope", desired({{"a", 1}})).error().code(), Errc::not_found);
}

TEST_F(ServiceTest, HierarchyChildrenTreeAndDeleteRules) {
  put("site", {{"level", "cloud"}});
  put("line-1", {{"parent", "site"}, {"level", "edge"}});
  put("m1", {{"parent", "line-1"}, {"level", "iot"}});
  put("m2", {{"parent", "line-1"}, {"level", "iot"}});
  EXPECT_EQ(*svc_->children("line-1"), (std::vector<std::string>{"m1", "m2"}));
  EXPECT_EQ(*svc_->ancestors("m1"), (std::vector<std::string>{"line-1", "site"}));
  auto tree = svc_->tree("", 8);
  ASSERT_TRUE(tree);
  EXPECT_EQ((*tree)[0]["id"], "site");
  EXPECT_EQ((*tree)[0]["children"][0]["children"][1]["id"], "m2");
  auto shallow = svc_->tree("site", 1);
  EXPECT_EQ((*shallow)[0]["children"][0]["more"], 2);
  // An edge twin under an iot twin breaks the level rule; a cycle is refused.
  auto level = svc_->put_twin("x", {{"parent", "m1"}, {"level", "cloud"}}, std::nullopt);
  EXPECT_FALSE(level);
  auto cycle = svc_->put_twin("site", {{"parent", "m1"}, {"level", "cloud"}}, std::nullopt);
  EXPECT_FALSE(cycle);
  EXPECT_EQ(svc_->get_twin("site")->parent, "");
  auto busy = svc_->delete_twin("line-1", std::nullopt);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code(), Errc::conflict);
  // Moving m2 under site frees nothing yet; deleting both leaves frees line-1.
  ASSERT_TRUE(svc_->delete_twin("m1", std::nullopt));
  ASSERT_TRUE(svc_->delete_twin("m2", std::nullopt));
  ASSERT_TRUE(svc_->delete_twin("line-1", std::nullopt));
  EXPECT_TRUE(svc_->children("site")->empty());
}

TEST_F(ServiceTest, AggregateOverTheTree) {
  put("line", json::object());
  for (int i = 0; i < 3; ++i) {
    std::string id = "m" + std::to_string(i);
    put(id, {{"parent", "line"}});
    ASSERT_TRUE(svc_->patch_state(id, {std::nullopt, json{{"temperature", 10 * (i + 1)}}, std::nullopt}));
  }
  auto mean = svc_->aggregate({"line", "reported.temperature", twin::AggregateKind::mean, twin::AggregateScope::children});
  ASSERT_TRUE(mean) << mean.error().to_string();
  EXPECT_DOUBLE_EQ(mean->value.get<double>(), 20.0);
  EXPECT_EQ(mean->count, 3u);
}

TEST_F(ServiceTest, QueryFiltersSortsAndPages) {
  ASSERT_TRUE(svc_->put_model("Pump", kPumpModel));
  put("line-2", json::object());
  for (int i = 0; i < 25; ++i) {
    std::string id = "p" + std::to_string(100 + i);
    put(id, {{"model", "Pump"}, {"attributes", {{"serial", "S"}}}, {"parent", i % 2 ? "line-2" : ""}});
    ASSERT_TRUE(svc_->patch_state(id, {std::nullopt, json{{"temperature", 70 + i}}, std::nullopt}));
  }
  auto all = svc_->query("model == \"Pump\" and reported.temperature > 80 and under(\"line-2\")",
                         "-reported.temperature", 5, "");
  ASSERT_TRUE(all) << all.error().to_string();
  ASSERT_EQ(all->items.size(), 5u);
  EXPECT_EQ(all->items[0].id, "p123");  // 93, odd index, under line-2
  std::vector<std::string> seen;
  std::string cursor;
  do {
    auto page = svc_->query("model == \"Pump\" and reported.temperature > 80 and under(\"line-2\")",
                            "-reported.temperature", 5, cursor);
    ASSERT_TRUE(page);
    for (auto& d : page->items) seen.push_back(d.id);
    cursor = page->next_cursor;
  } while (!cursor.empty());
  EXPECT_EQ(seen.size(), 7u);  // i = 11, 13, …, 23
  auto bad = svc_->query("reported.temperature >", "", 10, "");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("column"));
}

TEST_F(ServiceTest, EverythingSurvivesAReopen) {
  ASSERT_TRUE(svc_->put_model("Pump", kPumpModel));
  put("line", json::object());
  put("p1", {{"model", "Pump"}, {"attributes", {{"serial", "AB"}}}, {"parent", "line"}, {"node", "edge-1"}});
  ASSERT_TRUE(svc_->patch_state("p1", desired({{"speed", 100}})));
  put("gone", json::object());
  ASSERT_TRUE(svc_->delete_twin("gone", std::nullopt));
  auto before = *svc_->get_twin("p1");
  int64_t seq = svc_->last_seq();
  reopen();
  auto after = svc_->get_twin("p1");
  ASSERT_TRUE(after);
  EXPECT_EQ(twin::to_json(*after), twin::to_json(before));
  EXPECT_EQ(*svc_->node_of("p1"), "edge-1");
  EXPECT_EQ(*svc_->group_of("p1"), before.group);
  EXPECT_EQ(svc_->group_of("gone").error().code(), Errc::not_found);
  EXPECT_EQ(*svc_->children("line"), std::vector<std::string>{"p1"});
  EXPECT_EQ(svc_->last_seq(), seq);
  EXPECT_EQ(svc_->list_models().size(), 1u);
  auto feed = svc_->changes_after(0, 100, {});
  ASSERT_EQ(feed.items.size(), 3u);  // line, p1, and the tombstone of gone
  EXPECT_TRUE(feed.items.back().deleted);
  EXPECT_EQ(feed.items.back().id, "gone");
}

}  // namespace
}  // namespace iotwins::twins::testing
