// SeriesDetector: a row detector (detectors.h) applied to a time series, with the parts that
// need the rows before the current one:
//   lags: L     each row is extended with the L previous rows (the model sees short dynamics);
//   diffs: true each row is extended with its difference to the previous row;
//   smooth: W   the score is the mean of the last W row scores (a brief spike is not an episode);
//   calibration: c   the model is fitted on the first (1 - c) of the training rows and its
//               threshold (quantile x factor) is taken from the scores of the last c of them,
//               rows the model has not seen, so the limit reflects how normal data drifts after
//               fitting. 0 takes the threshold from the fitted rows themselves.
// Contributions of the extended columns are folded back onto the original variables.
#pragma once

#include <Eigen/Core>
#include <deque>
#include <memory>

#include "analytics/detector.h"
#include "analytics/params.h"

namespace iotwins::analytics {

struct SeriesOptions {
  int lags = 0;
  bool diffs = false;
  int smooth = 1;
  double calibration = 0;
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
  const Detector& inner() const { return *inner_; }
  std::string serialize() const;

 private:
  SeriesDetector(SeriesOptions o, std::unique_ptr<Detector> inner)
      : options_(o), inner_(std::move(inner)) {}
  int width() const { return dim_ * (1 + options_.lags + (options_.diffs ? 1 : 0)); }
  // Extended features of every row (rows before the first repeat the first row).
  Eigen::MatrixXd features(const Eigen::Ref<const Eigen::MatrixXd>& rows) const;
  Eigen::VectorXd smooth(const Eigen::VectorXd& raw) const;

  SeriesOptions options_;
  std::unique_ptr<Detector> inner_;
  int dim_ = 0;
  double threshold_ = 0;
  std::deque<Eigen::VectorXd> history_;  // streaming: the last lags+1 raw rows
  std::deque<double> recent_scores_;     // streaming: the last smooth-1 scores
};

Result<SeriesOptions> series_options(const Params& params);

}  // namespace iotwins::analytics
