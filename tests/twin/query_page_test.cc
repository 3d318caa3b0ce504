#include "twin/query_page.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace iotwins::twin {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Fleet {
  std::vector<TwinDocument> docs;
  std::vector<const TwinDocument*> ptrs;
  explicit Fleet(int n) {
    std::mt19937 rng(7);
    for (int i = 0; i < n; ++i) {
      TwinDocument d;
      d.id = "t-" + std::to_string(1000 + i);
      d.model = i % 3 == 0 ? "Pump" : "Valve";
      if (i % 5 != 0) d.reported["temperature"] = static_cast<int>(rng() % 40) + 60;
      docs.push_back(std::move(d));
    }
    for (const auto& d : docs) ptrs.push_back(&d);
  }
};

std::vector<std::string> ids(const Page& p) {
  std::vector<std::string> out;
  for (const auto* d : p.items) out.push_back(d->id);
  return out;
}

// Walks every page and returns the concatenated ids.
std::vector<std::string> walk(const Fleet& fleet, const Query* filter, const SortSpec& sort,
                              std::size_t limit) {
  std::vector<std::string> all;
  std::string cursor;
  for (int guard = 0; guard < 10000; ++guard) {
    auto page = select_page(fleet.ptrs, {.filter = filter, .sort = sort, .limit = limit,
                                         .cursor = cursor});
    EXPECT_TRUE(page.has_value()) << page.error().to_string();
    auto got = ids(*page);
    all.insert(all.end(), got.begin(), got.end());
    if (page->next_cursor.empty()) break;
    EXPECT_EQ(got.size(), limit);
    cursor = page->next_cursor;
  }
  return all;
}

TEST(QueryPage, PagesConcatenateToTheFullSortedFilteredList) {
  Fleet fleet(257);
  auto filter = Query::compile(R"(model == "Pump" or reported.temperature > 90)");
  ASSERT_TRUE(filter.has_value());
  auto sort = parse_sort("reported.temperature desc");
  ASSERT_TRUE(sort.has_value());
  EXPECT_EQ(sort->text, "-reported.temperature");

  // Independent expectation: filter, then a stable order by (temperature desc, missing last), id.
  std::vector<const TwinDocument*> expected;
  for (const auto* d : fleet.ptrs) {
    const bool pump = d->model == "Pump";
    const bool hot = d->reported.contains("temperature") && d->reported["temperature"] > 90;
    if (pump || hot) expected.push_back(d);
  }
  std::sort(expected.begin(), expected.end(), [](const auto* a, const auto* b) {
    const bool ha = a->reported.contains("temperature"), hb = b->reported.contains("temperature");
    if (ha != hb) return ha;
    if (ha && a->reported["temperature"] != b->reported["temperature"]) {
      return a->reported["temperature"] > b->reported["temperature"];
    }
    return a->id < b->id;
  });
  std::vector<std::string> expected_ids;
  for (const auto* d : expected) expected_ids.push_back(d->id);

  for (std::size_t limit : {1u, 7u, 50u, 1000u}) {
    EXPECT_EQ(walk(fleet, &*filter, *sort, limit), expected_ids) << "limit " << limit;
  }
}

TEST(QueryPage, DefaultSortIsByIdAscending) {
  Fleet fleet(30);
  auto page = select_page(fleet.ptrs, {.limit = 3});
  ASSERT_TRUE(page.has_value());
  EXPECT_THAT(ids(*page), ElementsAre("t-1000", "t-1001", "t-1002"));
  auto next = select_page(fleet.ptrs, {.limit = 3, .cursor = page->next_cursor});
  EXPECT_THAT(ids(*next), ElementsAre("t-1003", "t-1004", "t-1005"));
}

TEST(QueryPage, CursorSurvivesInsertionsBeforeIt) {
  Fleet fleet(10);
  auto first = select_page(fleet.ptrs, {.limit = 4});
  ASSERT_TRUE(first.has_value());
  TwinDocument early;
  early.id = "t-0000";  // sorts before everything already shown
  fleet.ptrs.push_back(&early);
  auto next = select_page(fleet.ptrs, {.limit = 4, .cursor = first->next_cursor});
  EXPECT_THAT(ids(*next), ElementsAre("t-1004", "t-1005", "t-1006", "t-1007"));
}

TEST(QueryPage, MixedTypesSortNumbersThenStringsThenBooleansThenMissing) {
  std::vector<TwinDocument> docs(6);
  const json values[] = {"b", 2, true, nullptr, 1.5, "a"};
  for (int i = 0; i < 6; ++i) {
    docs[i].id = "d" + std::to_string(i);
    if (!values[i].is_null()) docs[i].reported["v"] = values[i];
  }
  std::vector<const TwinDocument*> ptrs;
  for (const auto& d : docs) ptrs.push_back(&d);
  auto page = select_page(ptrs, {.sort = *parse_sort("reported.v"), .limit = 10});
  EXPECT_THAT(ids(*page), ElementsAre("d4", "d1", "d5", "d0", "d2", "d3"));
  page = select_page(ptrs, {.sort = *parse_sort("-reported.v"), .limit = 10});
  EXPECT_THAT(ids(*page), ElementsAre("d2", "d0", "d5", "d1", "d4", "d3"));  // missing stays last
}

TEST(QueryPage, BadRequestsAreClearErrors) {
  Fleet fleet(3);
  auto r = select_page(fleet.ptrs, {.limit = 0});
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("limit: must be 1..1000"));
  r = select_page(fleet.ptrs, {.limit = 2, .cursor = "not*base64"});
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("cursor: not a cursor"));
  r = select_page(fleet.ptrs, {.limit = 2, .cursor = "W1td"});  // "[[]" garbage
  EXPECT_FALSE(r.has_value());
  auto page = select_page(fleet.ptrs, {.limit = 1});
  r = select_page(fleet.ptrs, {.sort = *parse_sort("-id"), .limit = 1,
                               .cursor = page->next_cursor});
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("made for sort 'id', not '-id'"));
  EXPECT_FALSE(parse_sort("colour").has_value());
  EXPECT_FALSE(parse_sort("id == 1").has_value());
  EXPECT_EQ(parse_sort("")->text, "id");
  EXPECT_EQ(parse_sort("state.reported.x asc")->text, "state.reported.x");
}

TEST(QueryPage, CollectorStreamsWithUnderCallback) {
  Fleet fleet(20);
  auto filter = Query::compile(R"(under("line-1"))");
  auto collector = PageCollector::create(
      {.filter = &*filter, .limit = 5,
       .under = [](std::string_view id, std::string_view anc) {
         return anc == "line-1" && id.back() % 2 == 0;
       }});
  ASSERT_TRUE(collector.has_value());
  for (const auto& d : fleet.docs) collector->offer(d);
  auto page = collector->finish();
  EXPECT_THAT(ids(page), ElementsAre("t-1000", "t-1002", "t-1004", "t-1006", "t-1008"));
  EXPECT_FALSE(page.next_cursor.empty());
}

}  // namespace
}  // namespace iotwins::twin
