#include "analytics/windowed.h"

#include <gtest/gtest.h>

#include "analytics/model_io.h"
#include "analytics/pca.h"
#include "data_helpers.h"

namespace iotwins::analytics {
namespace {

Params params(std::map<std::string, ParamValue> v) { return Params(std::move(v), "test"); }

// Two independent columns and a third that is a random walk (a slow state).
Eigen::MatrixXd with_slow_column(int n, uint64_t seed) {
  Eigen::MatrixXd fast = testing_data::correlated(n, 2, 2, seed);
  Eigen::MatrixXd x(n, 3);
  x.leftCols(2) = fast;
  double level = 50;
  for (int r = 0; r < n; ++r) {
    level += 0.3 * std::sin(0.7 * r) + 0.2 * fast(r, 0) - 0.2 * fast(r, 1) * 0.1;
    x(r, 2) = level;
  }
  return x;
}

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

TEST(SeriesDetector, VonNeumannRatioMatchesHandComputedValues) {
  // 1,2,3,4: squared steps 3, squared deviations from 2.5: 5.
  EXPECT_DOUBLE_EQ(von_neumann_ratio(Eigen::Vector4d(1, 2, 3, 4)), 0.6);
  // 1,-1,1,-1: squared steps 3 x 4 = 12, squared deviations 4.
  EXPECT_DOUBLE_EQ(von_neumann_ratio(Eigen::Vector4d(1, -1, 1, -1)), 3.0);
  EXPECT_TRUE(std::isinf(von_neumann_ratio(Eigen::Vector3d(2, 2, 2))));
}

TEST(SeriesDetector, SlowVariablesEnterAsDifferences) {
  Eigen::MatrixXd x = with_slow_column(600, 5);
  auto det = SeriesDetector::create(params({{"type", std::string("pca")}, {"lags", 2.0},
                                            {"slow_ratio", 1.0}}));
  ASSERT_TRUE(det.has_value()) << det.error().message();
  ASSERT_TRUE((*det)->fit(x.topRows(400)).has_value());
  EXPECT_EQ((*det)->differenced(), (std::vector<uint8_t>{0, 0, 1}));
  // A level the slow column keeps from row 450 on changes only the rows whose differences
  // (the row and its two lags) span the step: 450, 451, 452.
  Eigen::MatrixXd shifted = x;
  shifted.col(2).tail(150).array() += 1000;
  Eigen::VectorXd a = *(*det)->score_series(x, 0), b = *(*det)->score_series(shifted, 0);
  for (int r = 0; r < 600; ++r) {
    if (r >= 450 && r <= 452) {
      EXPECT_GT(b[r], 100 * a[r]) << "row " << r;
    } else {
      EXPECT_NEAR(b[r], a[r], 1e-9 * (1 + a[r])) << "row " << r;
    }
  }
  // Without the option the same shift is seen on every later row.
  auto level = SeriesDetector::create(params({{"type", std::string("pca")}, {"lags", 2.0}}));
  ASSERT_TRUE(level && (*level)->fit(x.topRows(400)));
  EXPECT_EQ((*level)->differenced(), (std::vector<uint8_t>{0, 0, 0}));
  Eigen::VectorXd c = *(*level)->score_series(shifted, 0);
  EXPECT_GT(c[599], 100 * (*level)->threshold());
}

TEST(SeriesDetector, SmoothedLimitComesFromTheSmoothedTrainingScores) {
  Eigen::MatrixXd x = testing_data::correlated(300, 3, 2, 9);
  auto det = SeriesDetector::create(params({{"type", std::string("pca")}, {"statistic", std::string("q")},
                                            {"smooth", 4.0}, {"quantile", 0.9}, {"factor", 1.5}}));
  ASSERT_TRUE(det && (*det)->fit(x));
  Eigen::VectorXd raw;
  ASSERT_TRUE((*det)->inner().score_batch(x, raw).has_value());
  std::vector<double> smoothed;
  for (int r = 0; r < 300; ++r) {
    int from = std::max(0, r - 3);
    smoothed.push_back(raw.segment(from, r - from + 1).mean());
  }
  std::sort(smoothed.begin(), smoothed.end());
  // numpy's linear quantile: position 0.9 x 299 = 269.1.
  double q = smoothed[269] + 0.1 * (smoothed[270] - smoothed[269]);
  EXPECT_NEAR((*det)->threshold(), 1.5 * q, 1e-12 * q);
}

TEST(SeriesDetector, SlowDifferencesStreamAndRoundTrip) {
  Eigen::MatrixXd x = with_slow_column(300, 11);
  auto det = SeriesDetector::create(params({{"type", std::string("pca")}, {"lags", 2.0}, {"diffs", true},
                                            {"smooth", 3.0}, {"slow_ratio", 1.0}}));
  ASSERT_TRUE(det && (*det)->fit(x.topRows(200)));
  auto back = SeriesDetector::deserialize((*det)->serialize());
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ((*back)->differenced(), (std::vector<uint8_t>{0, 0, 1}));
  Eigen::VectorXd batch = *(*det)->score_series(x, 0);
  for (int r = 0; r < x.rows(); ++r) {
    auto d = (*back)->push(x.row(r).transpose());
    ASSERT_TRUE(d.has_value());
    EXPECT_NEAR(d->score, batch[r], 1e-9 * (1 + batch[r])) << "row " << r;
  }
}

TEST(SeriesDetector, ReadsVersionOneArtifacts) {
  Eigen::MatrixXd x = testing_data::correlated(100, 2, 1, 4);
  PcaDetector inner;
  ASSERT_TRUE(inner.fit(x).has_value());
  ModelWriter w("series", 1);  // the layout before slow_ratio
  w.u32(0);      // lags
  w.u32(0);      // diffs
  w.u32(1);      // smooth
  w.f64(0);      // calibration
  w.f64(0.99);   // quantile
  w.f64(1);      // factor
  w.u32(2);      // dim
  w.f64(inner.threshold());
  w.str(inner.serialize());
  auto det = SeriesDetector::deserialize(std::move(w).finish());
  ASSERT_TRUE(det.has_value()) << det.error().message();
  EXPECT_EQ((*det)->differenced(), (std::vector<uint8_t>{0, 0}));
  Eigen::VectorXd expect;
  ASSERT_TRUE(inner.score_batch(x, expect).has_value());
  EXPECT_TRUE((*(*det)->score_series(x, 0)).isApprox(expect));
}

TEST(SeriesDetector, RefusesAnArtifactWhoseSizesCannotBeTrue) {
  Eigen::MatrixXd x = testing_data::correlated(60, 2, 1, 4);
  PcaDetector inner;
  ASSERT_TRUE(inner.fit(x).has_value());
  for (uint32_t dim : {0u, 0xFFFFFFFFu}) {
    ModelWriter w("series", 2);
    for (uint32_t v : {0u, 0u, 1u}) w.u32(v);  // lags, diffs, smooth
    for (double v : {0.0, 0.99, 1.0}) w.f64(v);  // calibration, quantile, factor
    w.u32(dim);  // must not size an allocation before it is checked
    w.f64(1);
    w.str(inner.serialize());
    w.f64(0);
    auto det = SeriesDetector::deserialize(std::move(w).finish());
    ASSERT_FALSE(det.has_value()) << dim;
    EXPECT_EQ(det.error().code(), Errc::corruption);
    EXPECT_EQ(det.error().message(), "series artifact: options out of range");
  }
}

TEST(SeriesDetector, RejectsBadOptions) {
  auto negative = SeriesDetector::create(params({{"type", std::string("pca")}, {"slow_ratio", -1.0}}));
  ASSERT_FALSE(negative.has_value());
  EXPECT_NE(negative.error().message().find("property 'slow_ratio'"), std::string::npos);
  auto bad = SeriesDetector::create(params({{"type", std::string("pca")}, {"lags", -1.0}}));
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("property 'lags'"), std::string::npos);
  auto typo = SeriesDetector::create(params({{"type", std::string("mset")}, {"memroy", 5.0}}));
  ASSERT_FALSE(typo.has_value());
  EXPECT_NE(typo.error().message().find("'memroy': unknown property"), std::string::npos);
}

}  // namespace
}  // namespace iotwins::analytics
