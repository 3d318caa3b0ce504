#include <cmath>

#include "ops_helpers.h"

namespace iotwins::analytics {
namespace {
using namespace testing_ops;

TEST(MovingMean, AveragesTheLastWindowSamples) {
  auto out = run(R"([{"type": "moving_mean", "window": 3}])",
                 {s("t", 1, 3), s("t", 2, 6), s("t", 3, 9), s("t", 4, 0), s("t", 5, 3)});
  // (3)/1, (3+6)/2, (3+6+9)/3, (6+9+0)/3, (9+0+3)/3
  EXPECT_EQ(values(out), (std::vector<double>{3, 4.5, 6, 5, 4}));
}

TEST(MovingMean, SuffixEmitsBesideTheOriginal) {
  auto out = run(R"([{"type": "moving_mean", "window": 2, "suffix": "_avg"}])", {s("t", 1, 2), s("t", 2, 4)});
  EXPECT_EQ(out, (std::vector<Sample>{s("t", 1, 2), s("t_avg", 1, 2), s("t", 2, 4), s("t_avg", 2, 3)}));
}

TEST(MovingMedian, TakesTheMedianOfTheWindow) {
  auto out = run(R"([{"type": "moving_median", "window": 3}])",
                 {s("t", 1, 5), s("t", 2, 1), s("t", 3, 100), s("t", 4, 2), s("t", 5, 2)});
  // [5] [5,1] [5,1,100] [1,100,2] [100,2,2]
  EXPECT_EQ(values(out), (std::vector<double>{5, 3, 5, 2, 2}));
}

TEST(MovingMedian, NonFiniteValuesAreDropped) {
  auto out = run(R"([{"type": "moving_median", "window": 2}, {"type": "deadband", "band": 0.1}])",
                 {s("t", 1, 1), s("t", 2, NAN), s("t", 3, INFINITY), s("t", 4, 3)});
  EXPECT_EQ(values(out), (std::vector<double>{1, 2}));
}

TEST(MovingMean, LongRunStaysExact) {
  Chain c = chain(R"([{"type": "moving_mean", "window": 4}])");
  std::vector<Sample> out;
  for (int i = 0; i < 20000; ++i) c.process(s("t", i, 1e8 + (i % 4)), out);
  EXPECT_DOUBLE_EQ(out.back().value, 1e8 + 1.5);
}

TEST(Ewma, FixedAlphaMatchesTheRecurrence) {
  auto out = run(R"([{"type": "ewma", "alpha": 0.5}])", {s("t", 1, 4), s("t", 2, 8), s("t", 3, 0)});
  EXPECT_EQ(values(out), (std::vector<double>{4, 6, 3}));
}

TEST(Ewma, TimeConstantUsesTheGap) {
  auto out = run(R"([{"type": "ewma", "time_constant_s": 2}])", {s("t", 0, 0), s("t", 2, 1), s("t", 6, 1)});
  const double a1 = 1 - std::exp(-1.0);  // dt = 2 s, tau = 2 s
  const double y1 = a1;
  const double y2 = y1 + (1 - std::exp(-2.0)) * (1 - y1);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_NEAR(out[1].value, y1, 1e-12);
  EXPECT_NEAR(out[2].value, y2, 1e-12);
}

TEST(Ewma, RequiresExactlyOneParameter) {
  EXPECT_NE(error_of(R"([{"type": "ewma"}])").find("exactly one of alpha and time_constant_s"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"type": "ewma", "alpha": 1.5}])").find("within (0, 1]"), std::string::npos);
}

TEST(Resample, HoldEmitsGridPointsWithThePreviousValue) {
  auto out = run(R"([{"type": "resample", "period_s": 1}])",
                 {s("t", 0.5, 1), s("t", 2.5, 2), s("t", 3, 3)});
  // Grid 1 and 2 lie between 0.5 and 2.5: value held from 0.5; grid 3 is exactly the sample.
  EXPECT_EQ(out, (std::vector<Sample>{s("t", 1, 1), s("t", 2, 1), s("t", 3, 3)}));
}

TEST(Resample, LinearInterpolates) {
  auto out = run(R"([{"type": "resample", "period_s": 1, "method": "linear"}])",
                 {s("t", 0, 0), s("t", 4, 8)});
  EXPECT_EQ(values(out), (std::vector<double>{0, 2, 4, 6, 8}));
}

TEST(Resample, LongGapsAreNotFilled) {
  auto out = run(R"([{"type": "resample", "period_s": 1, "max_gap_s": 5}])",
                 {s("t", 0, 0), s("t", 10.5, 1), s("t", 12, 2)});
  EXPECT_EQ(out, (std::vector<Sample>{s("t", 0, 0), s("t", 11, 1), s("t", 12, 2)}));
}

}  // namespace
}  // namespace iotwins::analytics
