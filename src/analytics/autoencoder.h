// Dense autoencoder trained by the platform itself: standardised input -> tanh(hidden) ->
// tanh(code) -> tanh(hidden) -> linear output, fitted to reproduce its input by mini-batch Adam
// on the mean squared error. Weights start from a seeded Glorot-uniform draw and batches are
// shuffled by the same seeded generator, so training is reproducible. Score: the mean squared
// standardised reconstruction error; each variable contributes its own squared error.
#pragma once

#include <cstdint>

#include "analytics/detector.h"
#include "analytics/standardizer.h"

namespace iotwins::analytics {

struct AutoencoderOptions {
  int hidden = 16;
  int code = 3;
  int epochs = 200;
  int batch = 32;
  double learning_rate = 3e-3;
  double weight_decay = 1e-5;  // L2 on weights, a mild guard against memorising 400 rows
  uint64_t seed = 1;
  ThresholdRule rule;
};

class Autoencoder final : public Detector {
 public:
  explicit Autoencoder(AutoencoderOptions options = {}) : options_(options) {}
  static Result<std::unique_ptr<Autoencoder>> deserialize(std::string_view blob);

  std::string kind() const override { return "autoencoder"; }
  Status fit(const Eigen::MatrixXd& train) override;
  int dimension() const override { return static_cast<int>(scaler_.mean.size()); }
  Result<Detection> score(const Eigen::Ref<const Eigen::VectorXd>& row) const override;
  Status score_batch(const Eigen::Ref<const Eigen::MatrixXd>& rows,
                     Eigen::VectorXd& out) const override;
  double threshold() const override { return threshold_; }
  std::string serialize() const override;

  // Mean squared reconstruction error on the training rows after each epoch (for tests).
  const std::vector<double>& loss_history() const { return losses_; }

 private:
  static constexpr int kLayers = 4;
  // Standardised rows (n x d) -> reconstruction (n x d).
  Eigen::MatrixXd forward(const Eigen::MatrixXd& z) const;

  AutoencoderOptions options_;
  Standardizer scaler_;
  Eigen::MatrixXd w_[kLayers];  // in x out
  Eigen::RowVectorXd b_[kLayers];
  double threshold_ = 0;
  std::vector<double> losses_;
};

}  // namespace iotwins::analytics
