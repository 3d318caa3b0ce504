#include "analytics/mset.h"

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <algorithm>
#include <numeric>
#include <set>

#include "analytics/model_io.h"

namespace iotwins::analytics {
namespace {
constexpr uint32_t kVersion = 1;
const std::string kWho = "mset";
}  // namespace

Status MsetDetector::fit(const Eigen::MatrixXd& train) {
  IOT_TRY(check_training(train, 3, kWho));
  if (options_.memory < 2) return make_error(Errc::invalid_argument, "mset: memory must be >= 2");
  scaler_.fit(train);
  const Eigen::MatrixXd z = scaler_.apply(train);
  const Eigen::Index n = z.rows(), d = z.cols();
  std::set<Eigen::Index> chosen;
  for (Eigen::Index c = 0; c < d; ++c) {
    Eigen::Index lo, hi;
    z.col(c).minCoeff(&lo);
    z.col(c).maxCoeff(&hi);
    chosen.insert(lo);
    chosen.insert(hi);
  }
  std::vector<Eigen::Index> order(n);
  std::iota(order.begin(), order.end(), 0);
  Eigen::VectorXd norms = z.rowwise().norm();
  std::stable_sort(order.begin(), order.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return norms[a] < norms[b]; });
  const Eigen::Index target = std::min<Eigen::Index>(options_.memory, n);
  const Eigen::Index extra = std::max<Eigen::Index>(0, target - static_cast<Eigen::Index>(chosen.size()));
  for (Eigen::Index i = 0; i < extra; ++i) {
    chosen.insert(order[(extra > 1 ? i * (n - 1) / (extra - 1) : 0)]);
  }
  memory_.resize(d, static_cast<Eigen::Index>(chosen.size()));
  Eigen::Index j = 0;
  for (Eigen::Index r : chosen) memory_.col(j++) = z.row(r).transpose();

  bandwidth_ = options_.bandwidth;
  if (bandwidth_ <= 0) {
    std::vector<double> dists;
    for (Eigen::Index a = 0; a < memory_.cols(); ++a) {
      for (Eigen::Index b = a + 1; b < memory_.cols(); ++b) {
        dists.push_back((memory_.col(a) - memory_.col(b)).norm());
      }
    }
    bandwidth_ = std::max(quantile(std::move(dists), 0.5), 1e-6);
  }
  prepare();
  Eigen::VectorXd scores;
  IOT_TRY(score_batch(train, scores));
  threshold_ = apply_rule(options_.rule, scores);
  return ok();
}

void MsetDetector::prepare() {
  memory_sq_ = memory_.colwise().squaredNorm().transpose();
  const Eigen::Index m = memory_.cols();
  Eigen::MatrixXd g(m, m);
  const double k = -0.5 / (bandwidth_ * bandwidth_);
  for (Eigen::Index a = 0; a < m; ++a) {
    for (Eigen::Index b = 0; b < m; ++b) {
      g(a, b) = std::exp(k * (memory_.col(a) - memory_.col(b)).squaredNorm());
    }
  }
  g.diagonal().array() += options_.ridge;
  solve_ = g.ldlt().solve(Eigen::MatrixXd::Identity(m, m));
}

Eigen::MatrixXd MsetDetector::residuals(const Eigen::MatrixXd& z) const {
  // Squared distances |x|² + |d|² - 2 x·d for every (row, state) at once.
  Eigen::MatrixXd sim = (-2.0 * z * memory_).colwise() + z.rowwise().squaredNorm();
  sim.rowwise() += memory_sq_.transpose();
  const double k = -0.5 / (bandwidth_ * bandwidth_);
  sim = (sim.array().max(0.0) * k).exp().matrix();
  Eigen::MatrixXd estimate = (sim * solve_) * memory_.transpose();
  return z - estimate;
}

Eigen::VectorXd MsetDetector::estimate(const Eigen::Ref<const Eigen::VectorXd>& row) const {
  Eigen::MatrixXd z = scaler_.apply_row(row).transpose();
  Eigen::VectorXd zhat = (z - residuals(z)).row(0).transpose();
  return zhat.cwiseQuotient(scaler_.inv_scale) + scaler_.mean;
}

Result<Detection> MsetDetector::score(const Eigen::Ref<const Eigen::VectorXd>& row) const {
  IOT_TRY(check_row(row, dimension(), kWho));
  Eigen::MatrixXd z = scaler_.apply_row(row).transpose();
  Eigen::VectorXd res = residuals(z).row(0).transpose();
  Detection d;
  d.score = res.squaredNorm();
  d.threshold = threshold_;
  d.is_anomaly = d.score > threshold_;
  d.contributions = normalise_contributions(res.cwiseAbs2());
  return d;
}

Status MsetDetector::score_batch(const Eigen::Ref<const Eigen::MatrixXd>& rows,
                                 Eigen::VectorXd& out) const {
  if (dimension() == 0) return make_error(Errc::precondition_failed, "mset: model is not fitted");
  if (rows.cols() != dimension()) {
    return make_error(Errc::invalid_argument, "mset: rows have " + std::to_string(rows.cols()) +
                                                  " columns, the model expects " +
                                                  std::to_string(dimension()));
  }
  constexpr Eigen::Index kBlock = 512;
  out.resize(rows.rows());
  for (Eigen::Index b = 0; b < rows.rows(); b += kBlock) {
    Eigen::Index n = std::min(kBlock, rows.rows() - b);
    out.segment(b, n) = residuals(scaler_.apply(rows.middleRows(b, n))).rowwise().squaredNorm();
  }
  return ok();
}

std::string MsetDetector::serialize() const {
  ModelWriter w(kind(), kVersion);
  w.u32(static_cast<uint32_t>(options_.memory));
  w.f64(options_.bandwidth);
  w.f64(options_.ridge);
  w.f64(options_.rule.quantile);
  w.f64(options_.rule.factor);
  scaler_.write(w);
  w.mat(memory_);
  w.f64(bandwidth_);
  w.f64(threshold_);
  return std::move(w).finish();
}

Result<std::unique_ptr<MsetDetector>> MsetDetector::deserialize(std::string_view blob) {
  IOT_ASSIGN(ModelReader r, ModelReader::open(blob, "mset", kVersion));
  MsetOptions o;
  IOT_ASSIGN(uint32_t memory, r.u32());
  o.memory = static_cast<int>(memory);
  IOT_ASSIGN(o.bandwidth, r.f64());
  IOT_ASSIGN(o.ridge, r.f64());
  IOT_ASSIGN(o.rule.quantile, r.f64());
  IOT_ASSIGN(o.rule.factor, r.f64());
  auto det = std::make_unique<MsetDetector>(o);
  IOT_TRY(det->scaler_.read(r));
  IOT_ASSIGN(det->memory_, r.mat());
  IOT_ASSIGN(det->bandwidth_, r.f64());
  IOT_ASSIGN(det->threshold_, r.f64());
  IOT_TRY(r.done());
  if (det->memory_.rows() != det->scaler_.mean.size() || det->memory_.cols() < 1 ||
      !(det->bandwidth_ > 0)) {
    return make_error(Errc::corruption, "mset artifact: inconsistent shapes");
  }
  det->prepare();
  return det;
}

}  // namespace iotwins::analytics
