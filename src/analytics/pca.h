// PCA detector: standardised data projected on the principal components that explain
// `variance` of the training variance. Hotelling's T² measures distance inside that subspace,
// Q (squared prediction error) distance from it. Limits are quantiles of the training rows'
// statistics (see ThresholdRule); the combined statistic is max(T²/limit_T², Q/limit_Q) against 1.
#pragma once

#include <string>

#include "analytics/detector.h"
#include "analytics/standardizer.h"

namespace iotwins::analytics {

struct PcaOptions {
  enum class Statistic { t2, q, t2q };
  double variance = 0.9;  // share of training variance the kept components explain
  Statistic statistic = Statistic::t2q;
  ThresholdRule rule;
};

class PcaDetector final : public Detector {
 public:
  explicit PcaDetector(PcaOptions options = {}) : options_(options) {}
  static Result<std::unique_ptr<PcaDetector>> deserialize(std::string_view blob);

  std::string kind() const override { return "pca"; }
  Status fit(const Eigen::MatrixXd& train) override;
  int dimension() const override { return static_cast<int>(scaler_.mean.size()); }
  Result<Detection> score(const Eigen::Ref<const Eigen::VectorXd>& row) const override;
  Status score_batch(const Eigen::Ref<const Eigen::MatrixXd>& rows,
                     Eigen::VectorXd& out) const override;
  double threshold() const override { return threshold_; }
  std::string serialize() const override;

  int components() const { return static_cast<int>(eigenvalues_.size()); }
  double t2_limit() const { return t2_limit_; }
  double q_limit() const { return q_limit_; }
  // Both statistics of one standardised-or-raw row (raw: as given to score()).
  void statistics(const Eigen::Ref<const Eigen::VectorXd>& row, double& t2, double& q) const;

 private:
  double combine(double t2, double q) const;

  PcaOptions options_;
  Standardizer scaler_;
  Eigen::MatrixXd loadings_;     // d x k, orthonormal columns
  Eigen::VectorXd eigenvalues_;  // k, descending
  // Scoring shortcut: raw row -> whitened scores in one product (scaling and 1/sqrt(λ) folded in).
  Eigen::MatrixXd whiten_;  // d x k
  Eigen::MatrixXd project_; // d x k: scaling folded into the loadings
  double t2_limit_ = 0, q_limit_ = 0, threshold_ = 0;
};

}  // namespace iotwins::analytics
