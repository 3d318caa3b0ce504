#include "analytics/pca.h"

#include <gtest/gtest.h>

#include <cmath>

#include "analytics/detectors.h"
#include "data_helpers.h"

namespace iotwins::analytics {
namespace {

// Two standardised variables with correlation r have principal axes (1, 1)/√2 and (1, -1)/√2
// with variances 1 + r and 1 - r: T² and Q have a closed form.
struct TwoVar {
  Eigen::MatrixXd x;
  double mean[2], sd[2], r;
};

TwoVar two_variables() {
  TwoVar t;
  const int n = 200;
  t.x.resize(n, 2);
  for (int i = 0; i < n; ++i) {
    const double a = std::sin(0.37 * i) * 3.0, b = std::cos(1.3 * i) * 0.4;
    t.x(i, 0) = 5 + a + b;
    t.x(i, 1) = -2 + 2 * a - 3 * b;
  }
  for (int c = 0; c < 2; ++c) {
    t.mean[c] = t.x.col(c).mean();
    t.sd[c] = std::sqrt((t.x.col(c).array() - t.mean[c]).square().sum() / (n - 1));
  }
  t.r = ((t.x.col(0).array() - t.mean[0]) * (t.x.col(1).array() - t.mean[1])).sum() / (n - 1) /
        (t.sd[0] * t.sd[1]);
  return t;
}

void closed_form(const TwoVar& t, double x0, double x1, double& t2, double& q) {
  const double z0 = (x0 - t.mean[0]) / t.sd[0], z1 = (x1 - t.mean[1]) / t.sd[1];
  const double along = (z0 + z1) / std::sqrt(2.0), across = (z0 - z1) / std::sqrt(2.0);
  t2 = along * along / (1 + t.r);
  q = across * across;
}

TEST(Pca, StatisticsMatchTheClosedForm) {
  TwoVar t = two_variables();
  ASSERT_GT(t.r, 0.9);  // one component explains > 90 %
  PcaDetector pca(PcaOptions{.variance = 0.9, .statistic = PcaOptions::Statistic::t2q});
  ASSERT_TRUE(pca.fit(t.x).has_value());
  EXPECT_EQ(pca.components(), 1);
  for (auto [x0, x1] : {std::pair{5.0, -2.0}, {8.0, 4.0}, {5.0, 6.0}, {-1.0, 1.0}}) {
    double t2, q, want_t2, want_q;
    pca.statistics(Eigen::Vector2d(x0, x1), t2, q);
    closed_form(t, x0, x1, want_t2, want_q);
    EXPECT_NEAR(t2, want_t2, 1e-9 * (1 + want_t2));
    EXPECT_NEAR(q, want_q, 1e-9 * (1 + want_q));
  }
}

TEST(Pca, LimitsAreTrainingQuantiles) {
  TwoVar t = two_variables();
  PcaDetector pca(PcaOptions{.rule = {.quantile = 0.95, .factor = 2.0}});
  ASSERT_TRUE(pca.fit(t.x).has_value());
  std::vector<double> t2s, qs;
  for (int i = 0; i < t.x.rows(); ++i) {
    double a, b;
    closed_form(t, t.x(i, 0), t.x(i, 1), a, b);
    t2s.push_back(a);
    qs.push_back(b);
  }
  EXPECT_NEAR(pca.t2_limit(), 2.0 * quantile(t2s, 0.95), 1e-9);
  EXPECT_NEAR(pca.q_limit(), 2.0 * quantile(qs, 0.95), 1e-9);
  EXPECT_DOUBLE_EQ(pca.threshold(), 1.0);
}

TEST(Pca, CombinedScoreFlagsAndExplains) {
  TwoVar t = two_variables();
  PcaDetector pca;
  ASSERT_TRUE(pca.fit(t.x).has_value());
  // Off the correlation line: Q dominates, the residual is split equally between both.
  auto off = pca.score(Eigen::Vector2d(5 + 3 * t.sd[0], -2 - 3 * t.sd[1]));
  ASSERT_TRUE(off.has_value());
  double want_t2, want_q;
  closed_form(t, 5 + 3 * t.sd[0], -2 - 3 * t.sd[1], want_t2, want_q);
  EXPECT_NEAR(off->score, std::max(want_t2 / pca.t2_limit(), want_q / pca.q_limit()), 1e-9);
  EXPECT_TRUE(off->is_anomaly);
  ASSERT_EQ(off->contributions.size(), 2u);
  EXPECT_NEAR(off->contributions[0], 0.5, 1e-9);
  EXPECT_NEAR(off->contributions[1], 0.5, 1e-9);
  auto centre = pca.score(Eigen::Vector2d(t.mean[0], t.mean[1]));
  ASSERT_TRUE(centre.has_value());
  EXPECT_NEAR(centre->score, 0, 1e-12);
  EXPECT_FALSE(centre->is_anomaly);
}

TEST(Pca, ContributionsPointAtTheBrokenSensor) {
  Eigen::MatrixXd x = testing_data::correlated(500, 6, 2, 7);
  PcaDetector pca;
  ASSERT_TRUE(pca.fit(x).has_value());
  Eigen::VectorXd row = x.row(10).transpose();
  const double sd3 = std::sqrt((x.col(3).array() - x.col(3).mean()).square().mean());
  row[3] += 6 * sd3;
  auto d = pca.score(row);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->is_anomaly);
  const auto top = std::max_element(d->contributions.begin(), d->contributions.end());
  EXPECT_EQ(top - d->contributions.begin(), 3);
  double sum = 0;
  for (double c : d->contributions) sum += c;
  EXPECT_NEAR(sum, 1, 1e-12);
}

TEST(Pca, BatchEqualsRowByRow) {
  Eigen::MatrixXd x = testing_data::correlated(300, 8, 3, 1);
  Eigen::MatrixXd test = testing_data::correlated(2500, 8, 4, 2);
  for (auto stat : {PcaOptions::Statistic::t2, PcaOptions::Statistic::q, PcaOptions::Statistic::t2q}) {
    PcaDetector pca(PcaOptions{.statistic = stat});
    ASSERT_TRUE(pca.fit(x).has_value());
    Eigen::VectorXd batch;
    ASSERT_TRUE(pca.score_batch(test, batch).has_value());
    for (int i = 0; i < test.rows(); i += 97) {
      EXPECT_NEAR(batch[i], pca.score(test.row(i).transpose())->score, 1e-8 * (1 + batch[i]));
    }
  }
}

TEST(Pca, RejectsBadInput) {
  PcaDetector pca;
  EXPECT_FALSE(pca.score(Eigen::Vector2d(1, 2)).has_value());  // not fitted
  Eigen::MatrixXd x = testing_data::correlated(50, 3, 1, 3);
  x(7, 1) = NAN;
  auto st = pca.fit(x);
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().message().find("row 7, column 1 is not finite"), std::string::npos);
  x(7, 1) = 0;
  ASSERT_TRUE(pca.fit(x).has_value());
  auto wrong = pca.score(Eigen::Vector2d(1, 2));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().message().find("row has 2 values, the model expects 3"), std::string::npos);
  EXPECT_FALSE(pca.fit(Eigen::MatrixXd::Constant(10, 3, 1.0)).has_value());  // no variance
}

TEST(Pca, ArtifactRoundTrips) {
  Eigen::MatrixXd x = testing_data::correlated(300, 5, 2, 11);
  PcaDetector pca(PcaOptions{.variance = 0.8, .statistic = PcaOptions::Statistic::t2});
  ASSERT_TRUE(pca.fit(x).has_value());
  auto back = deserialize_detector(pca.serialize());
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ((*back)->kind(), "pca");
  EXPECT_EQ((*back)->serialize(), pca.serialize());
  Eigen::VectorXd row = x.row(3).transpose() * 1.1;
  EXPECT_DOUBLE_EQ((*back)->score(row)->score, pca.score(row)->score);
  EXPECT_DOUBLE_EQ((*back)->threshold(), pca.threshold());
}

}  // namespace
}  // namespace iotwins::analytics
