// SeriesDetector: a row detector (detectors.h) applied to a time series, with the parts that
// need the rows before the current one:
//   lags: L     each row is extended with the L previous rows (the model sees short dynamics);
//   diffs: true each row is extended with its difference to the previous row;
//   smooth: W   the score is the mean of the last W row scores (a brief spike is not an episode);
//   calibration: c   the model is fitted on the first (1 - c) of the training rows and its
//               threshold (quantile x factor) is taken from the scores of the last c of them,
//               rows the model has not seen, so the limit reflects how normal data drifts after
//               fitting. 0 takes the threshold from the fitted rows themselves (from their
//               smoothed scores when smooth > 1, so the limit and the score agree).
//   slow_ratio: r   a variable whose von Neumann ratio on the training rows is below r (a slow
//               state such as a temperature: ratio = 2 (1 - lag-1 autocorrelation)) enters as
//               its first difference instead of its level, before lags and diffs, so a level it
//               keeps after an episode is forgotten. 0: every variable enters as its level.
// Contributions of the extended columns are folded back onto the original variables.
#pragma once

#include <Eigen/Core>
#include <deque>
#include <memory>
#include <vector>

#include "analytics/detector.h"
#include "analytics/params.h"

namespace iotwins::analytics {

struct SeriesOptions {
  int lags = 0;
  bool diffs = false;
  int smooth = 1;
  double calibration = 0;
  double slow_ratio = 0;
  ThresholdRule rule;  // used when calibration > 0 (else the inner detector's own)
};

class SeriesDetector {
 public:
  // `params` holds the inner detector's options and the series options above.
  static Result<std::unique_ptr<SeriesDetector>> create(const Params& params);
  static Result<std::unique_ptr<SeriesDetector>> deserialize(std::string_view blob);

  Status fit(const Eigen::Ref<const Eigen::MatrixXd>& train);
  // Smoothed scores of rows [first, n) of a series given in time order from its start.
  Result<Eigen::VectorXd> score_series(const Eigen::Ref<const Eigen::MatrixXd>& rows,
                                       Eigen::Index first) const;
  Result<std::vector<uint8_t>> predict_series(const Eigen::Ref<const Eigen::MatrixXd>& rows,
                                              Eigen::Index first) const;

  // Streaming: scores the next row of the live series (keeps the history it needs) and
  // explains it by variable.
  Result<Detection> push(const Eigen::Ref<const Eigen::VectorXd>& row);

  double threshold() const { return threshold_; }
  int dimension() const { return dim_; }
  // Per variable: 1 if it enters as its first difference (slow_ratio), learnt by fit().
  const std::vector<uint8_t>& differenced() const { return slow_; }
  const Detector& inner() const { return *inner_; }
  std::string serialize() const;

 private:
  SeriesDetector(SeriesOptions o, std::unique_ptr<Detector> inner)
      : options_(o), inner_(std::move(inner)) {}
  int width() const { return dim_ * (1 + options_.lags + (options_.diffs ? 1 : 0)); }
  // Rows with the slow variables replaced by their first differences (0 on the first row).
  Eigen::MatrixXd base(const Eigen::Ref<const Eigen::MatrixXd>& rows) const;
  // Extended features of every row (rows before the first repeat the first row).
  Eigen::MatrixXd features(const Eigen::Ref<const Eigen::MatrixXd>& rows) const;
  Eigen::VectorXd smooth(const Eigen::VectorXd& raw) const;

  SeriesOptions options_;
  std::unique_ptr<Detector> inner_;
  int dim_ = 0;
  double threshold_ = 0;
  std::vector<uint8_t> slow_;            // per variable: enters as its first difference
  std::deque<Eigen::VectorXd> history_;  // streaming: the last lags+1 base rows
  Eigen::VectorXd last_raw_;             // streaming: the previous raw row (empty at the start)
  std::deque<double> recent_scores_;     // streaming: the last smooth-1 scores
};

Result<SeriesOptions> series_options(const Params& params);

// von Neumann's ratio sum (x_t - x_{t-1})^2 / sum (x_t - mean)^2: about 2 for independent rows,
// near 0 for a slow, trending state. Infinity for a constant column.
double von_neumann_ratio(const Eigen::Ref<const Eigen::VectorXd>& x);

}  // namespace iotwins::analytics
