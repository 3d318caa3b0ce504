#include "analytics/windowed.h"

#include <gtest/gtest.h>

#include "data_helpers.h"

namespace iotwins::analytics {
namespace {

Params params(std::map<std::string, ParamValue> v) { return Params(std::move(v), "test"); }

TEST(SeriesDetector, PushMatchesBatchScoring) {
  Eigen::MatrixXd x = testing_data::correlated(300, 3, 2, 31);
  auto det = SeriesDetector::create(params({{"type", std::string("pca")}, {"lags", 2.0},
                                            {"diffs", true}, {"smooth", 5.0}}));
  ASSERT_TRUE(det.has_value()) << det.error().message();
  ASSERT_TRUE((*det)->fit(x.topRows(200)).has_value());
  EXPECT_EQ((*det)->inner().dimension(), 3 * 4);  // row, 2 lags, diff
  auto batch = (*det)->score_series(x, 0);
  ASSERT_TRUE(batch.has_value());
  for (int r = 0; r < x.rows(); ++r) {
    auto d = (*det)->push(x.row(r).transpose());
    ASSERT_TRUE(d.has_value());
    EXPECT_NEAR(d->score, (*batch)[r], 1e-9 * (1 + d->score)) << "row " << r;
    EXPECT_EQ(d->contributions.size(), 3u);
  }
}

TEST(SeriesDetector, SmoothingAveragesTheLastScores) {
  Eigen::MatrixXd x = testing_data::correlated(100, 2, 1, 1);
  auto raw = SeriesDetector::create(params({{"type", std::string("pca")}, {"statistic", std::string("q")}}));
  auto smooth = SeriesDetector::create(
      params({{"type", std::string("pca")}, {"statistic", std::string("q")}, {"smooth", 3.0}}));
  ASSERT_TRUE(raw && smooth);
  ASSERT_TRUE((*raw)->fit(x) && (*smooth)->fit(x));
  Eigen::VectorXd r = *(*raw)->score_series(x, 0), s = *(*smooth)->score_series(x, 0);
  EXPECT_NEAR(s[0], r[0], 1e-12);
  EXPECT_NEAR(s[1], (r[0] + r[1]) / 2, 1e-12);
  EXPECT_NEAR(s[50], (r[48] + r[49] + r[50]) / 3, 1e-12);
}

TEST(SeriesDetector, CalibrationTakesTheLimitFromHeldOutRows) {
  Eigen::MatrixXd x = testing_data::correlated(400, 3, 2, 17);
  auto det = SeriesDetector::create(params({{"type", std::string("pca")}, {"statistic", std::string("t2")},
                                            {"calibration", 0.25}, {"quantile", 1.0}}));
  ASSERT_TRUE(det.has_value());
  ASSERT_TRUE((*det)->fit(x).has_value());
  // The inner model saw rows [0, 300); the limit is the largest score of rows [300, 400).
  Eigen::VectorXd held;
  ASSERT_TRUE((*det)->inner().score_batch(x.bottomRows(100), held).has_value());
  EXPECT_DOUBLE_EQ((*det)->threshold(), held.maxCoeff());
}

TEST(SeriesDetector, ArtifactRoundTrips) {
  Eigen::MatrixXd x = testing_data::correlated(200, 3, 2, 3);
  auto det = SeriesDetector::create(params({{"type", std::string("mset")}, {"lags", 1.0}, {"smooth", 4.0}}));
  ASSERT_TRUE(det.has_value());
  ASSERT_TRUE((*det)->fit(x).has_value());
  auto back = SeriesDetector::deserialize((*det)->serialize());
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ((*back)->threshold(), (*det)->threshold());
  Eigen::VectorXd a = *(*det)->score_series(x, 100), b = *(*back)->score_series(x, 100);
  EXPECT_TRUE(a.isApprox(b));
}

TEST(SeriesDetector, RejectsBadOptions) {
  auto bad = SeriesDetector::create(params({{"type", std::string("pca")}, {"lags", -1.0}}));
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("property 'lags'"), std::string::npos);
  auto typo = SeriesDetector::create(params({{"type", std::string("mset")}, {"memroy", 5.0}}));
  ASSERT_FALSE(typo.has_value());
  EXPECT_NE(typo.error().message().find("'memroy': unknown property"), std::string::npos);
}

}  // namespace
}  // namespace iotwins::analytics
