#include <cmath>
#include <limits>

#include "ops_helpers.h"

namespace iotwins::analytics {
namespace {
using namespace testing_ops;

TEST(Validity, DropsNonFiniteAndOutOfOrderSamples) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto out = run(R"([{"type": "validity"}])",
                 {s("t", 1, 1), s("t", 2, nan), s("t", 3, INFINITY), s("t", 2.5, 4), s("t", 3, 5),
                  s("t", 3, 6), s("p", 1, 7)});
  EXPECT_EQ(out, (std::vector<Sample>{s("t", 1, 1), s("t", 2.5, 4), s("t", 3, 5), s("p", 1, 7)}));
}

TEST(Validity, MonotonicCanBeTurnedOff) {
  auto out = run(R"([{"type": "validity", "monotonic": false}])", {s("t", 2, 1), s("t", 1, 2)});
  EXPECT_EQ(out.size(), 2u);
}

TEST(Range, DropsOrClampsOutsideValues) {
  auto dropped = run(R"([{"type": "range", "min": 0, "max": 10}])",
                     {s("t", 1, -1), s("t", 2, 0), s("t", 3, 10), s("t", 4, 11)});
  EXPECT_EQ(values(dropped), (std::vector<double>{0, 10}));
  auto clamped = run(R"([{"type": "range", "min": 0, "max": 10, "action": "clamp"}])",
                     {s("t", 1, -1), s("t", 2, 5), s("t", 4, 11)});
  EXPECT_EQ(values(clamped), (std::vector<double>{0, 5, 10}));
}

TEST(Range, OnlySelectedPropertiesAreChecked) {
  auto out = run(R"([{"type": "range", "properties": ["t"], "max": 1}])", {s("t", 1, 5), s("p", 1, 5)});
  EXPECT_EQ(out, (std::vector<Sample>{s("p", 1, 5)}));
}

TEST(Range, RejectsBadConfig) {
  EXPECT_NE(error_of(R"([{"type": "range"}])").find("'min': min or max is required"), std::string::npos);
  EXPECT_NE(error_of(R"([{"type": "range", "min": 2, "max": 1}])").find("must not exceed max"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"type": "range", "max": 1, "action": "wrap"}])").find("unknown value 'wrap'"),
            std::string::npos);
}

TEST(Deadband, PassesOnlyChangesBeyondTheBand) {
  // Last emitted: 10 -> 10.4 (|0.4| <= 0.5, dropped) -> 10.6 (passes) -> 10.2 (dropped) -> 9.9.
  auto out = run(R"([{"type": "deadband", "band": 0.5}])",
                 {s("t", 1, 10), s("t", 2, 10.4), s("t", 3, 10.6), s("t", 4, 10.2), s("t", 5, 10.09)});
  EXPECT_EQ(values(out), (std::vector<double>{10, 10.6, 10.09}));
}

TEST(Deadband, PercentAndMaxSilence) {
  // 5 % of 100 = 5: 104 dropped, 106 passes; then 106.1 passes after 10 s of silence.
  auto out = run(R"([{"type": "deadband", "percent": 5, "max_silence_s": 10}])",
                 {s("t", 0, 100), s("t", 1, 104), s("t", 2, 106), s("t", 5, 106.1), s("t", 12, 106.1)});
  EXPECT_EQ(values(out), (std::vector<double>{100, 106, 106.1}));
  EXPECT_EQ(out.back().ts_ns, 12 * kSec);
}

TEST(Deadband, SeriesAreIndependentPerTwin) {
  auto out = run(R"([{"type": "deadband", "band": 1}])",
                 {s("t", 1, 5, "a"), s("t", 1, 5.5, "b"), s("t", 2, 5.5, "a")});
  EXPECT_EQ(out.size(), 2u);
}

TEST(RateLimit, KeepsTheFirstSamplePerInterval) {
  auto out = run(R"([{"type": "rate_limit", "min_interval_s": 1}])",
                 {s("t", 0, 1), s("t", 0.5, 2), s("t", 0.99, 3), s("t", 1.0, 4), s("t", 1.5, 5), s("t", 2.2, 6)});
  EXPECT_EQ(values(out), (std::vector<double>{1, 4, 6}));
  EXPECT_NE(error_of(R"([{"type": "rate_limit"}])").find("'min_interval_s': is required"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"type": "rate_limit", "min_interval_s": 0}])").find("positive number of seconds"),
            std::string::npos);
}

}  // namespace
}  // namespace iotwins::analytics
