#include "analytics/mset.h"

#include <gtest/gtest.h>

#include "analytics/detectors.h"
#include "data_helpers.h"

namespace iotwins::analytics {
namespace {

TEST(Mset, MemoryHoldsEachVariablesExtremes) {
  Eigen::MatrixXd x = testing_data::correlated(400, 4, 2, 5);
  MsetDetector mset(MsetOptions{.memory = 30});
  ASSERT_TRUE(mset.fit(x).has_value());
  EXPECT_LE(mset.memory_size(), 30);
  EXPECT_GE(mset.memory_size(), 8);
  // A state kept in memory is reproduced almost exactly (only the ridge term separates them).
  for (int c = 0; c < 4; ++c) {
    Eigen::Index r;
    x.col(c).maxCoeff(&r);
    Eigen::VectorXd row = x.row(r).transpose();
    EXPECT_LT((mset.estimate(row) - row).norm(), 1e-3 * row.norm()) << "column " << c;
  }
}

TEST(Mset, SimilarityEstimateMatchesTheFormula) {
  // Two memory states (a 2-row training set keeps both): x̂ = D G⁻¹ s(D, x), checked by hand
  // in standardised units with h = |d1 - d2| (the median distance of one pair).
  Eigen::MatrixXd x(3, 1);
  x << 0, 2, 1;
  MsetDetector mset(MsetOptions{.memory = 2, .ridge = 0});
  ASSERT_TRUE(mset.fit(x).has_value());
  // Standardised: mean 1, sd 1 -> states chosen are the min (-1) and max (+1); h = 2.
  const double k = std::exp(-4.0 / 8.0);  // s(d1, d2) = exp(-|2|² / (2·2²))
  const double zq = 0.5;                   // query at raw 1.5
  const double s1 = std::exp(-(zq + 1) * (zq + 1) / 8.0), s2 = std::exp(-(zq - 1) * (zq - 1) / 8.0);
  // G = [[1, k], [k, 1]]; w = G⁻¹ s; ẑ = -w1 + w2.
  const double det = 1 - k * k;
  const double w1 = (s1 - k * s2) / det, w2 = (s2 - k * s1) / det;
  const double zhat = -w1 + w2;
  EXPECT_NEAR(mset.estimate(Eigen::VectorXd::Constant(1, 1.5))[0], 1 + zhat, 1e-9);
  auto d = mset.score(Eigen::VectorXd::Constant(1, 1.5));
  ASSERT_TRUE(d.has_value());
  EXPECT_NEAR(d->score, (zq - zhat) * (zq - zhat), 1e-9);
}

TEST(Mset, FlagsAndExplainsABrokenRelation) {
  Eigen::MatrixXd x = testing_data::correlated(400, 5, 2, 9);
  MsetDetector mset;
  ASSERT_TRUE(mset.fit(x).has_value());
  Eigen::VectorXd row = x.row(100).transpose();
  EXPECT_FALSE(mset.score(row)->is_anomaly);
  const double sd = std::sqrt((x.col(1).array() - x.col(1).mean()).square().mean());
  row[1] += 5 * sd;
  auto d = mset.score(row);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->is_anomaly);
  EXPECT_EQ(std::max_element(d->contributions.begin(), d->contributions.end()) - d->contributions.begin(), 1);
  Eigen::VectorXd batch;
  ASSERT_TRUE(mset.score_batch(row.transpose(), batch).has_value());
  EXPECT_NEAR(batch[0], d->score, 1e-9 * d->score);
}

TEST(Mset, ArtifactRoundTrips) {
  Eigen::MatrixXd x = testing_data::correlated(200, 3, 1, 4);
  MsetDetector mset(MsetOptions{.memory = 40});
  ASSERT_TRUE(mset.fit(x).has_value());
  auto back = deserialize_detector(mset.serialize());
  ASSERT_TRUE(back.has_value()) << back.error().message();
  Eigen::VectorXd row = x.row(5).transpose() + Eigen::VectorXd::Constant(3, 0.3);
  EXPECT_NEAR((*back)->score(row)->score, mset.score(row)->score, 1e-12);
  EXPECT_EQ((*back)->threshold(), mset.threshold());
}

}  // namespace
}  // namespace iotwins::analytics
