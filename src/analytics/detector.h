// Detector: the common interface of every anomaly detector. A detector is fitted on rows of
// normal operation only, takes its threshold from those rows, and explains every score by the
// share each variable contributed.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace iotwins::analytics {

struct Detection {
  double score = 0;      // larger = more anomalous; comparable only with `threshold`
  double threshold = 0;  // the limit learnt from training rows
  bool is_anomaly = false;
  // Per variable, in column order: the part of `score` the variable is responsible for, as a
  // non-negative share summing to 1 (all zero when the score itself is zero).
  std::vector<double> contributions;
};

class Detector {
 public:
  virtual ~Detector() = default;

  // Registry name: "pca", "mset", "iforest", "autoencoder", ...
  virtual std::string kind() const = 0;

  // Learns the model and its threshold from `train` (rows = samples, columns = variables).
  // Rejects too few rows, non-finite values and constant data it cannot use.
  virtual Status fit(const Eigen::MatrixXd& train) = 0;

  // Number of variables the fitted model expects (0 before fit).
  virtual int dimension() const = 0;

  // Scores one row; the row must have `dimension()` entries.
  virtual Result<Detection> score(const Eigen::Ref<const Eigen::VectorXd>& row) const = 0;

  // Scores many rows at once (the fast path: no per-row allocation, no explanation).
  // out.size() becomes rows.rows().
  virtual Status score_batch(const Eigen::Ref<const Eigen::MatrixXd>& rows,
                             Eigen::VectorXd& out) const = 0;

  virtual double threshold() const = 0;

  // A versioned binary model artifact; deserialize() of it gives back an equal model.
  virtual std::string serialize() const = 0;
};

// How a detector turns its training scores into a threshold: the `quantile` of the scores of
// the training rows, times `factor` (> 1 leaves room for the drift normal data shows after the
// training period). Both are fixed before any test row is seen.
struct ThresholdRule {
  double quantile = 0.99;
  double factor = 1.0;
};
double apply_rule(const ThresholdRule& rule, const Eigen::Ref<const Eigen::VectorXd>& scores);

// Checks a training matrix: at least `min_rows` rows, one column or more, all values finite.
Status check_training(const Eigen::MatrixXd& train, int min_rows, const std::string& who);
// Checks a row to score against the fitted dimension.
Status check_row(const Eigen::Ref<const Eigen::VectorXd>& row, int dim, const std::string& who);

// Turns non-negative per-variable parts into shares summing to 1.
std::vector<double> normalise_contributions(const Eigen::Ref<const Eigen::VectorXd>& parts);

// Quantile (0..1, linear interpolation between order statistics, as numpy's default).
double quantile(std::vector<double> values, double q);

}  // namespace iotwins::analytics
