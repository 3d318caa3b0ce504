#include "analytics/iforest.h"

#include <gtest/gtest.h>

#include <cmath>

#include "analytics/detectors.h"
#include "data_helpers.h"

namespace iotwins::analytics {
namespace {

TEST(IsolationForest, AveragePathIsTheBstFormula) {
  EXPECT_EQ(IsolationForest::average_path(1), 0);
  EXPECT_EQ(IsolationForest::average_path(2), 1);
  // c(n) = 2 H(n-1) - 2 (n-1)/n with H(i) ≈ ln(i) + γ.
  EXPECT_NEAR(IsolationForest::average_path(256), 2 * (std::log(255.0) + 0.5772156649) - 2 * 255.0 / 256, 1e-9);
}

TEST(IsolationForest, OutliersScoreHigherAndAreExplained) {
  Eigen::MatrixXd x = testing_data::correlated(600, 3, 3, 21, 0.0);
  IsolationForest forest(IforestOptions{.trees = 200, .seed = 3});
  ASSERT_TRUE(forest.fit(x).has_value());
  Eigen::VectorXd centre = x.colwise().mean().transpose();
  Eigen::VectorXd outlier = centre;
  const double range2 = x.col(2).maxCoeff() - x.col(2).minCoeff();
  outlier[2] += 3 * range2;
  auto a = forest.score(centre), b = forest.score(outlier);
  ASSERT_TRUE(a.has_value() && b.has_value());
  // An isolation forest never splits outside the training range, so a point beyond it travels
  // with the most extreme training rows; it is still isolated far sooner than the centre.
  EXPECT_LT(a->score, 0.5);
  EXPECT_GT(b->score, a->score + 0.15);
  EXPECT_FALSE(a->is_anomaly);
  EXPECT_EQ(std::max_element(b->contributions.begin(), b->contributions.end()) - b->contributions.begin(), 2);
  // Beyond the range in every variable: above the training limit.
  Eigen::VectorXd far = x.colwise().maxCoeff().transpose() * 3;
  auto c = forest.score(far.cwiseAbs() + Eigen::VectorXd::Constant(3, 100));
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->is_anomaly);
}

TEST(IsolationForest, SeedMakesFitsReproducible) {
  Eigen::MatrixXd x = testing_data::correlated(300, 3, 2, 8);
  IsolationForest a(IforestOptions{.seed = 5}), b(IforestOptions{.seed = 5}), c(IforestOptions{.seed = 6});
  ASSERT_TRUE(a.fit(x) && b.fit(x) && c.fit(x));
  EXPECT_EQ(a.serialize(), b.serialize());
  EXPECT_NE(a.serialize(), c.serialize());
}

TEST(IsolationForest, BatchAndArtifactAgree) {
  Eigen::MatrixXd x = testing_data::correlated(300, 3, 2, 8);
  IsolationForest forest;
  ASSERT_TRUE(forest.fit(x).has_value());
  auto back = deserialize_detector(forest.serialize());
  ASSERT_TRUE(back.has_value()) << back.error().message();
  Eigen::VectorXd batch;
  ASSERT_TRUE((*back)->score_batch(x.topRows(20), batch).has_value());
  for (int i = 0; i < 20; ++i) EXPECT_DOUBLE_EQ(batch[i], forest.score(x.row(i).transpose())->score);
}

}  // namespace
}  // namespace iotwins::analytics
