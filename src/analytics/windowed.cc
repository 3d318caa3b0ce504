#include "analytics/windowed.h"

#include <cmath>
#include <limits>

#include "analytics/detectors.h"
#include "analytics/model_io.h"

namespace iotwins::analytics {
namespace {
// Version 2 added slow_ratio and the per-variable difference mask; version 1 is still read.
constexpr uint32_t kVersion = 2;
}

double von_neumann_ratio(const Eigen::Ref<const Eigen::VectorXd>& x) {
  if (x.size() < 2) return std::numeric_limits<double>::infinity();
  const double mean = x.mean();
  const double spread = (x.array() - mean).square().sum();
  if (!(spread > 0)) return std::numeric_limits<double>::infinity();
  return (x.tail(x.size() - 1) - x.head(x.size() - 1)).squaredNorm() / spread;
}

Result<SeriesOptions> series_options(const Params& p) {
  SeriesOptions o;
  IOT_ASSIGN(o.lags, p.integer("lags", 0, 0, 256));
  IOT_ASSIGN(o.diffs, p.boolean("diffs", false));
  IOT_ASSIGN(o.smooth, p.integer("smooth", 1, 1, 100000));
  IOT_ASSIGN(o.calibration, p.number_in("calibration", 0, 0, 0.9));
  IOT_ASSIGN(o.slow_ratio, p.number_in("slow_ratio", 0, 0, 4));
  IOT_ASSIGN(o.rule.quantile, p.number_in("quantile", 0.99, 0, 1));
  IOT_ASSIGN(o.rule.factor, p.number_in("factor", 1, 0, 1e6));
  return o;
}

Result<std::unique_ptr<SeriesDetector>> SeriesDetector::create(const Params& params) {
  IOT_ASSIGN(SeriesOptions o, series_options(params));
  IOT_ASSIGN(auto inner, make_detector(params));
  return std::unique_ptr<SeriesDetector>(new SeriesDetector(o, std::move(inner)));
}

Eigen::MatrixXd SeriesDetector::base(const Eigen::Ref<const Eigen::MatrixXd>& in) const {
  Eigen::MatrixXd rows = in;
  for (int c = 0; c < dim_; ++c) {
    if (!slow_[c]) continue;
    for (Eigen::Index r = in.rows() - 1; r >= 1; --r) rows(r, c) = in(r, c) - in(r - 1, c);
    if (in.rows() > 0) rows(0, c) = 0;
  }
  return rows;
}

Eigen::MatrixXd SeriesDetector::features(const Eigen::Ref<const Eigen::MatrixXd>& raw) const {
  const Eigen::MatrixXd rows = base(raw);
  const Eigen::Index n = rows.rows();
  Eigen::MatrixXd f(n, width());
  f.leftCols(dim_) = rows;
  for (int l = 1; l <= options_.lags; ++l) {
    for (Eigen::Index r = 0; r < n; ++r) {
      f.block(r, dim_ * l, 1, dim_) = rows.row(std::max<Eigen::Index>(0, r - l));
    }
  }
  if (options_.diffs) {
    const Eigen::Index c = dim_ * (1 + options_.lags);
    for (Eigen::Index r = 0; r < n; ++r) {
      f.block(r, c, 1, dim_) = rows.row(r) - rows.row(std::max<Eigen::Index>(0, r - 1));
    }
  }
  return f;
}

Eigen::VectorXd SeriesDetector::smooth(const Eigen::VectorXd& raw) const {
  if (options_.smooth <= 1) return raw;
  Eigen::VectorXd out(raw.size());
  double sum = 0;
  for (Eigen::Index i = 0; i < raw.size(); ++i) {
    sum += raw[i];
    if (i >= options_.smooth) sum -= raw[i - options_.smooth];
    out[i] = sum / static_cast<double>(std::min<Eigen::Index>(i + 1, options_.smooth));
  }
  return out;
}

Status SeriesDetector::fit(const Eigen::Ref<const Eigen::MatrixXd>& train) {
  dim_ = static_cast<int>(train.cols());
  history_.clear();
  recent_scores_.clear();
  last_raw_.resize(0);
  slow_.assign(dim_, 0);
  for (int c = 0; c < dim_; ++c) slow_[c] = von_neumann_ratio(train.col(c)) < options_.slow_ratio ? 1 : 0;
  const Eigen::MatrixXd all = features(train);
  const Eigen::Index n = all.rows();
  const Eigen::Index fit_rows =
      options_.calibration > 0 ? static_cast<Eigen::Index>(std::floor(n * (1 - options_.calibration)))
                               : n;
  if (fit_rows < 3 || (fit_rows == n && options_.calibration > 0)) {
    return make_error(Errc::invalid_argument, "too few training rows (" + std::to_string(n) +
                                                  ") for calibration " +
                                                  std::to_string(options_.calibration));
  }
  IOT_TRY(inner_->fit(all.topRows(fit_rows)));
  if (options_.calibration == 0 && options_.smooth <= 1) {
    threshold_ = inner_->threshold();
    return ok();
  }
  Eigen::VectorXd raw;
  IOT_TRY(inner_->score_batch(all, raw));
  Eigen::VectorXd smoothed = smooth(raw);
  const Eigen::Index from = options_.calibration > 0 ? fit_rows : 0;
  threshold_ = apply_rule(options_.rule, smoothed.tail(n - from));
  return ok();
}

Result<Eigen::VectorXd> SeriesDetector::score_series(const Eigen::Ref<const Eigen::MatrixXd>& rows,
                                                     Eigen::Index first) const {
  if (dim_ == 0) return make_error(Errc::precondition_failed, "series detector is not fitted");
  if (rows.cols() != dim_) {
    return make_error(Errc::invalid_argument, "rows have " + std::to_string(rows.cols()) +
                                                  " columns, the model expects " +
                                                  std::to_string(dim_));
  }
  if (first < 0 || first > rows.rows()) return make_error(Errc::invalid_argument, "first row out of range");
  Eigen::VectorXd raw;
  IOT_TRY(inner_->score_batch(features(rows), raw));
  Eigen::VectorXd s = smooth(raw);
  return Eigen::VectorXd(s.tail(rows.rows() - first));
}

Result<std::vector<uint8_t>> SeriesDetector::predict_series(
    const Eigen::Ref<const Eigen::MatrixXd>& rows, Eigen::Index first) const {
  IOT_ASSIGN(Eigen::VectorXd s, score_series(rows, first));
  std::vector<uint8_t> out(s.size());
  for (Eigen::Index i = 0; i < s.size(); ++i) out[i] = s[i] > threshold_ ? 1 : 0;
  return out;
}

Result<Detection> SeriesDetector::push(const Eigen::Ref<const Eigen::VectorXd>& row) {
  IOT_TRY(check_row(row, dim_, "series detector"));
  Eigen::VectorXd b = row;
  for (int c = 0; c < dim_; ++c) {
    if (slow_[c]) b[c] = last_raw_.size() == 0 ? 0.0 : row[c] - last_raw_[c];
  }
  last_raw_ = row;
  history_.push_back(b);
  while (static_cast<int>(history_.size()) > options_.lags + 1) history_.pop_front();
  Eigen::VectorXd f(width());
  const int h = static_cast<int>(history_.size());
  f.head(dim_) = b;
  for (int l = 1; l <= options_.lags; ++l) f.segment(dim_ * l, dim_) = history_[std::max(0, h - 1 - l)];
  if (options_.diffs) f.tail(dim_) = b - history_[std::max(0, h - 2)];
  IOT_ASSIGN(Detection d, inner_->score(f));
  double sum = d.score;
  for (double s : recent_scores_) sum += s;
  const double smoothed = sum / static_cast<double>(recent_scores_.size() + 1);
  recent_scores_.push_back(d.score);
  while (static_cast<int>(recent_scores_.size()) > options_.smooth - 1) recent_scores_.pop_front();
  Eigen::VectorXd folded = Eigen::VectorXd::Zero(dim_);
  for (size_t i = 0; i < d.contributions.size(); ++i) folded[i % dim_] += d.contributions[i];
  d.contributions = normalise_contributions(folded);
  d.score = smoothed;
  d.threshold = threshold_;
  d.is_anomaly = smoothed > threshold_;
  return d;
}

std::string SeriesDetector::serialize() const {
  ModelWriter w("series", kVersion);
  w.u32(static_cast<uint32_t>(options_.lags));
  w.u32(options_.diffs ? 1 : 0);
  w.u32(static_cast<uint32_t>(options_.smooth));
  w.f64(options_.calibration);
  w.f64(options_.rule.quantile);
  w.f64(options_.rule.factor);
  w.u32(static_cast<uint32_t>(dim_));
  w.f64(threshold_);
  w.str(inner_->serialize());
  w.f64(options_.slow_ratio);
  for (uint8_t s : slow_) w.u32(s);
  return std::move(w).finish();
}

Result<std::unique_ptr<SeriesDetector>> SeriesDetector::deserialize(std::string_view blob) {
  IOT_ASSIGN(ModelReader r, ModelReader::open(blob, "series", kVersion));
  SeriesOptions o;
  IOT_ASSIGN(uint32_t lags, r.u32());
  IOT_ASSIGN(uint32_t diffs, r.u32());
  IOT_ASSIGN(uint32_t smooth, r.u32());
  IOT_ASSIGN(o.calibration, r.f64());
  IOT_ASSIGN(o.rule.quantile, r.f64());
  IOT_ASSIGN(o.rule.factor, r.f64());
  IOT_ASSIGN(uint32_t dim, r.u32());
  IOT_ASSIGN(double threshold, r.f64());
  IOT_ASSIGN(std::string inner_blob, r.str());
  // Every variable takes bytes in the inner model, so dim beyond the blob's size is corrupt
  // (and must not size an allocation).
  if (lags > 256 || smooth < 1 || smooth > 100000 || diffs > 1 || dim == 0 || dim > blob.size()) {
    return make_error(Errc::corruption, "series artifact: options out of range");
  }
  std::vector<uint8_t> slow(dim, 0);
  if (r.version() >= 2) {
    IOT_ASSIGN(o.slow_ratio, r.f64());
    for (auto& s : slow) {
      IOT_ASSIGN(uint32_t v, r.u32());
      if (v > 1) return make_error(Errc::corruption, "series artifact: difference flag out of range");
      s = static_cast<uint8_t>(v);
    }
  }
  IOT_TRY(r.done());
  o.lags = static_cast<int>(lags);
  o.diffs = diffs == 1;
  o.smooth = static_cast<int>(smooth);
  IOT_ASSIGN(auto inner, deserialize_detector(inner_blob));
  auto det = std::unique_ptr<SeriesDetector>(new SeriesDetector(o, std::move(inner)));
  det->dim_ = static_cast<int>(dim);
  det->threshold_ = threshold;
  det->slow_ = std::move(slow);
  if (det->inner_->dimension() != det->width()) {
    return make_error(Errc::corruption, "series artifact: inner model has the wrong width");
  }
  return det;
}

}  // namespace iotwins::analytics
