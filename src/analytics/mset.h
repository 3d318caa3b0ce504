// MSET (multivariate state estimation technique): a memory matrix D of representative normal
// states, selected from the training rows (each variable's minimum and maximum state, then
// states evenly spread in order of their norm), and a nonlinear similarity operator
// s(a, b) = exp(-|a - b|² / (2 h²)). A row x is estimated as x̂ = D (s(D, D) + εI)⁻¹ s(D, x);
// the score is the squared standardised residual |x - x̂|², explained by each variable's part.
#pragma once

#include "analytics/detector.h"
#include "analytics/standardizer.h"

namespace iotwins::analytics {

struct MsetOptions {
  int memory = 120;      // states kept in D (fewer if the training rows are fewer)
  double bandwidth = 0;  // h; 0 = median distance between memory states
  double ridge = 1e-6;   // ε, keeps s(D, D) invertible when states nearly repeat
  ThresholdRule rule;
};

class MsetDetector final : public Detector {
 public:
  explicit MsetDetector(MsetOptions options = {}) : options_(options) {}
  static Result<std::unique_ptr<MsetDetector>> deserialize(std::string_view blob);

  std::string kind() const override { return "mset"; }
  Status fit(const Eigen::MatrixXd& train) override;
  int dimension() const override { return static_cast<int>(scaler_.mean.size()); }
  Result<Detection> score(const Eigen::Ref<const Eigen::VectorXd>& row) const override;
  Status score_batch(const Eigen::Ref<const Eigen::MatrixXd>& rows,
                     Eigen::VectorXd& out) const override;
  double threshold() const override { return threshold_; }
  std::string serialize() const override;

  // The estimate of a raw row, in raw units.
  Eigen::VectorXd estimate(const Eigen::Ref<const Eigen::VectorXd>& row) const;
  int memory_size() const { return static_cast<int>(memory_.cols()); }

 private:
  // Standardised residuals of standardised rows (n x d).
  Eigen::MatrixXd residuals(const Eigen::MatrixXd& z) const;
  void prepare();

  MsetOptions options_;
  Standardizer scaler_;
  Eigen::MatrixXd memory_;   // d x m, standardised states
  double bandwidth_ = 1;
  Eigen::MatrixXd solve_;    // m x m: (s(D, D) + εI)⁻¹
  Eigen::VectorXd memory_sq_;  // |d_j|²
  double threshold_ = 0;
};

}  // namespace iotwins::analytics
