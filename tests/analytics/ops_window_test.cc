#include <cmath>

#include "ops_helpers.h"

namespace iotwins::analytics {
namespace {
using namespace testing_ops;

TEST(Tumbling, EmitsEachWindowWhenTheNextBegins) {
  Chain c = chain(R"([{"type": "tumbling", "window_s": 10, "aggregates": ["mean", "min", "max", "count", "first", "last", "sum", "stddev"]}])");
  auto out = run(c, {s("t", 1, 2), s("t", 5, 4), s("t", 9, 9), s("t", 12, 100)});
  // Window [0, 10): 2, 4, 9. mean 5, sample stddev sqrt(((−3)²+(−1)²+4²)/2) = sqrt(13).
  ASSERT_EQ(out.size(), 8u);
  const std::vector<std::pair<std::string, double>> want = {
      {"t_mean", 5}, {"t_min", 2}, {"t_max", 9}, {"t_count", 3}, {"t_first", 2},
      {"t_last", 9}, {"t_sum", 15}, {"t_stddev", std::sqrt(13.0)}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(out[i].property, want[i].first);
    EXPECT_NEAR(out[i].value, want[i].second, 1e-12) << want[i].first;
    EXPECT_EQ(out[i].ts_ns, 10 * kSec);
  }
}

TEST(Tumbling, AdvanceClosesAndLateSamplesAreDropped) {
  Chain c = chain(R"([{"type": "tumbling", "window_s": 10}])");
  auto out = run(c, {s("t", 1, 2), s("t", 3, 4)});
  EXPECT_TRUE(out.empty());
  c.advance(9 * kSec, out);
  EXPECT_TRUE(out.empty());
  c.advance(10 * kSec, out);
  EXPECT_EQ(out, (std::vector<Sample>{s("t_mean", 10, 3)}));
  out.clear();
  c.process(s("t", 8, 50), out);   // window [0, 10) is closed
  c.process(s("t", 15, 6), out);
  c.advance(20 * kSec, out);
  EXPECT_EQ(out, (std::vector<Sample>{s("t_mean", 20, 6)}));
}

TEST(Tumbling, RejectsUnknownAggregate) {
  EXPECT_NE(error_of(R"([{"type": "tumbling", "window_s": 1, "aggregates": ["p99"]}])")
                .find("unknown aggregate 'p99'"),
            std::string::npos);
}

TEST(Sliding, AggregatesTheLastWindowSeconds) {
  auto out = run(R"([{"type": "sliding", "window_s": 3, "aggregates": ["min", "max", "mean", "count"]}])",
                 {s("t", 0, 5), s("t", 1, 1), s("t", 2, 3), s("t", 3, 4), s("t", 6, 2)});
  // At t=3 the window (0, 3] holds 1, 3, 4; at t=6, (3, 6] holds only 2.
  ASSERT_EQ(out.size(), 20u);
  auto at = [&](int sample, int agg) { return out[sample * 4 + agg].value; };
  EXPECT_EQ(at(2, 0), 1);
  EXPECT_EQ(at(2, 1), 5);
  EXPECT_EQ(at(2, 2), 3);
  EXPECT_EQ(at(3, 0), 1);
  EXPECT_EQ(at(3, 1), 4);
  EXPECT_NEAR(at(3, 2), 8.0 / 3, 1e-12);
  EXPECT_EQ(at(3, 3), 3);
  EXPECT_EQ(at(4, 0), 2);
  EXPECT_EQ(at(4, 1), 2);
  EXPECT_EQ(at(4, 3), 1);
  EXPECT_EQ(out[12].ts_ns, 3 * kSec);
}

TEST(Sliding, StddevIsStableForLargeOffsets) {
  Chain c = chain(R"([{"type": "sliding", "window_s": 4, "aggregates": ["stddev"]}])");
  std::vector<Sample> out;
  // Values 1e9 + {0, 1, 2, 3} repeating: every full window holds one of each -> sd = sqrt(5/3).
  for (int i = 0; i < 10000; ++i) c.process(s("t", i, 1e9 + (i % 4)), out);
  EXPECT_NEAR(out.back().value, std::sqrt(5.0 / 3.0), 1e-6);
}

}  // namespace
}  // namespace iotwins::analytics
