#include "analytics/autoencoder.h"

#include <gtest/gtest.h>

#include "analytics/detectors.h"
#include "data_helpers.h"

namespace iotwins::analytics {
namespace {

TEST(Autoencoder, LearnsALowDimensionalManifold) {
  Eigen::MatrixXd x = testing_data::correlated(400, 6, 2, 13, 0.02);
  Autoencoder ae(AutoencoderOptions{.hidden = 12, .code = 2, .epochs = 150});
  ASSERT_TRUE(ae.fit(x).has_value());
  const auto& loss = ae.loss_history();
  ASSERT_EQ(loss.size(), 150u);
  // Standardised data has MSE 1 against a zero reconstruction; the trained net does far better.
  EXPECT_LT(loss.back(), 0.1 * loss.front());
  EXPECT_LT(loss.back(), 0.05);
  Eigen::VectorXd row = x.row(50).transpose();
  const double sd = std::sqrt((x.col(4).array() - x.col(4).mean()).square().mean());
  row[4] += 4 * sd;
  auto d = ae.score(row);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->is_anomaly);
  EXPECT_EQ(std::max_element(d->contributions.begin(), d->contributions.end()) - d->contributions.begin(), 4);
}

TEST(Autoencoder, TrainingIsDeterministicAndRoundTrips) {
  Eigen::MatrixXd x = testing_data::correlated(200, 4, 2, 2);
  Autoencoder a(AutoencoderOptions{.epochs = 20}), b(AutoencoderOptions{.epochs = 20});
  ASSERT_TRUE(a.fit(x) && b.fit(x));
  EXPECT_EQ(a.serialize(), b.serialize());
  auto back = deserialize_detector(a.serialize());
  ASSERT_TRUE(back.has_value()) << back.error().message();
  Eigen::VectorXd batch;
  ASSERT_TRUE((*back)->score_batch(x.topRows(5), batch).has_value());
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(batch[i], a.score(x.row(i).transpose())->score, 1e-12);
}

TEST(Autoencoder, ScoreIsMeanSquaredStandardisedError) {
  Eigen::MatrixXd x = testing_data::correlated(100, 3, 1, 6);
  Autoencoder ae(AutoencoderOptions{.epochs = 5});
  ASSERT_TRUE(ae.fit(x).has_value());
  auto d = ae.score(x.row(0).transpose());
  ASSERT_TRUE(d.has_value());
  // Threshold rule: 0.99 quantile of the training scores.
  Eigen::VectorXd scores;
  ASSERT_TRUE(ae.score_batch(x, scores).has_value());
  std::vector<double> v(scores.data(), scores.data() + scores.size());
  EXPECT_DOUBLE_EQ(ae.threshold(), quantile(v, 0.99));
  EXPECT_DOUBLE_EQ(d->score, scores[0]);
}

}  // namespace
}  // namespace iotwins::analytics
