#include "analytics/pca.h"

#include <Eigen/Eigenvalues>
#include <algorithm>

namespace iotwins::analytics {
namespace {
constexpr uint32_t kVersion = 1;
const std::string kWho = "pca";
}  // namespace

Status PcaDetector::fit(const Eigen::MatrixXd& train) {
  IOT_TRY(check_training(train, 3, kWho));
  if (!(options_.variance > 0 && options_.variance <= 1)) {
    return make_error(Errc::invalid_argument, "pca: variance must be within (0, 1]");
  }
  scaler_.fit(train);
  Eigen::MatrixXd z = scaler_.apply(train);
  const Eigen::Index d = z.cols();
  Eigen::MatrixXd cov = (z.transpose() * z) / static_cast<double>(z.rows() - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
  if (eig.info() != Eigen::Success) return make_error(Errc::internal, "pca: eigen decomposition failed");
  // Eigen returns ascending eigenvalues; reverse to descending.
  Eigen::VectorXd values = eig.eigenvalues().reverse().cwiseMax(0.0);
  Eigen::MatrixXd vectors = eig.eigenvectors().rowwise().reverse();
  double total = values.sum();
  if (!(total > 0)) return make_error(Errc::invalid_argument, "pca: training data has no variance");
  // Keep the fewest components reaching the variance share, but leave at least one out when
  // there are several variables so Q (the residual) is not identically zero.
  Eigen::Index k = 0;
  double acc = 0;
  while (k < d && acc < options_.variance * total) acc += values[k++];
  if (d > 1) k = std::min(k, d - 1);
  k = std::max<Eigen::Index>(k, 1);
  // A component with (numerically) no variance would divide by zero in T².
  while (k > 1 && values[k - 1] <= 1e-12 * total) --k;
  eigenvalues_ = values.head(k);
  loadings_ = vectors.leftCols(k);
  project_ = scaler_.inv_scale.asDiagonal() * loadings_;
  whiten_ = project_ * eigenvalues_.cwiseSqrt().cwiseInverse().asDiagonal();

  Eigen::VectorXd t2(train.rows()), q(train.rows());
  for (Eigen::Index r = 0; r < train.rows(); ++r) statistics(train.row(r).transpose(), t2[r], q[r]);
  t2_limit_ = std::max(apply_rule(options_.rule, t2), 1e-12);
  q_limit_ = std::max(apply_rule(options_.rule, q), 1e-12);
  threshold_ = options_.statistic == PcaOptions::Statistic::t2q ? 1.0
               : options_.statistic == PcaOptions::Statistic::t2 ? t2_limit_
                                                                  : q_limit_;
  return ok();
}

void PcaDetector::statistics(const Eigen::Ref<const Eigen::VectorXd>& row, double& t2,
                             double& q) const {
  Eigen::VectorXd centred = row - scaler_.mean;
  t2 = (whiten_.transpose() * centred).squaredNorm();
  Eigen::VectorXd z = centred.cwiseProduct(scaler_.inv_scale);
  Eigen::VectorXd residual = z - loadings_ * (loadings_.transpose() * z);
  q = residual.squaredNorm();
}

double PcaDetector::combine(double t2, double q) const {
  switch (options_.statistic) {
    case PcaOptions::Statistic::t2: return t2;
    case PcaOptions::Statistic::q: return q;
    case PcaOptions::Statistic::t2q: break;
  }
  return std::max(t2 / t2_limit_, q / q_limit_);
}

Result<Detection> PcaDetector::score(const Eigen::Ref<const Eigen::VectorXd>& row) const {
  IOT_TRY(check_row(row, dimension(), kWho));
  Eigen::VectorXd z = scaler_.apply_row(row);
  Eigen::VectorXd t = loadings_.transpose() * z;
  Eigen::VectorXd residual = z - loadings_ * t;
  double t2 = (t.array().square() / eigenvalues_.array()).sum();
  double q = residual.squaredNorm();
  Detection d;
  d.score = combine(t2, q);
  d.threshold = threshold_;
  d.is_anomaly = d.score > threshold_;
  // T² contribution of variable j: z_j * sum_i p_ji t_i / λ_i (they sum to T²); Q contribution:
  // e_j² (they sum to Q). The explanation follows whichever statistic is further past its limit.
  Eigen::VectorXd t2_parts = z.cwiseProduct(loadings_ * t.cwiseQuotient(eigenvalues_));
  Eigen::VectorXd q_parts = residual.cwiseAbs2();
  bool use_t2 = options_.statistic == PcaOptions::Statistic::t2 ||
                (options_.statistic == PcaOptions::Statistic::t2q && t2 / t2_limit_ >= q / q_limit_);
  d.contributions = normalise_contributions(use_t2 ? t2_parts : q_parts);
  return d;
}

Status PcaDetector::score_batch(const Eigen::Ref<const Eigen::MatrixXd>& rows,
                                Eigen::VectorXd& out) const {
  if (dimension() == 0) return make_error(Errc::precondition_failed, "pca: model is not fitted");
  if (rows.cols() != dimension()) {
    return make_error(Errc::invalid_argument, "pca: rows have " + std::to_string(rows.cols()) +
                                                  " columns, the model expects " +
                                                  std::to_string(dimension()));
  }
  // Blocked so the temporaries stay in cache and are allocated once per block, not per row.
  constexpr Eigen::Index kBlock = 1024;
  out.resize(rows.rows());
  Eigen::MatrixXd centred(kBlock, rows.cols()), white(kBlock, whiten_.cols()),
      proj(kBlock, project_.cols());
  Eigen::VectorXd znorm(kBlock);
  for (Eigen::Index b = 0; b < rows.rows(); b += kBlock) {
    Eigen::Index n = std::min(kBlock, rows.rows() - b);
    auto c = centred.topRows(n);
    c.noalias() = rows.middleRows(b, n).rowwise() - scaler_.mean.transpose();
    auto w = white.topRows(n);
    w.noalias() = c * whiten_;
    auto p = proj.topRows(n);
    p.noalias() = c * project_;
    // Q = |z|² - |P'z|² because the loadings are orthonormal.
    znorm.head(n) = (c * scaler_.inv_scale.asDiagonal()).rowwise().squaredNorm();
    for (Eigen::Index i = 0; i < n; ++i) {
      double t2 = w.row(i).squaredNorm();
      double q = std::max(0.0, znorm[i] - p.row(i).squaredNorm());
      out[b + i] = combine(t2, q);
    }
  }
  return ok();
}

std::string PcaDetector::serialize() const {
  ModelWriter w(kind(), kVersion);
  w.f64(options_.variance);
  w.u32(static_cast<uint32_t>(options_.statistic));
  w.f64(options_.rule.quantile);
  w.f64(options_.rule.factor);
  scaler_.write(w);
  w.mat(loadings_);
  w.vec(eigenvalues_);
  w.f64(t2_limit_);
  w.f64(q_limit_);
  return std::move(w).finish();
}

Result<std::unique_ptr<PcaDetector>> PcaDetector::deserialize(std::string_view blob) {
  IOT_ASSIGN(ModelReader r, ModelReader::open(blob, "pca", kVersion));
  PcaOptions o;
  IOT_ASSIGN(o.variance, r.f64());
  IOT_ASSIGN(uint32_t stat, r.u32());
  if (stat > 2) return make_error(Errc::corruption, "pca artifact: unknown statistic");
  o.statistic = static_cast<PcaOptions::Statistic>(stat);
  IOT_ASSIGN(o.rule.quantile, r.f64());
  IOT_ASSIGN(o.rule.factor, r.f64());
  auto det = std::make_unique<PcaDetector>(o);
  IOT_TRY(det->scaler_.read(r));
  IOT_ASSIGN(det->loadings_, r.mat());
  IOT_ASSIGN(det->eigenvalues_, r.vec());
  IOT_ASSIGN(det->t2_limit_, r.f64());
  IOT_ASSIGN(det->q_limit_, r.f64());
  IOT_TRY(r.done());
  const auto d = det->scaler_.mean.size();
  if (det->loadings_.rows() != d || det->loadings_.cols() != det->eigenvalues_.size() ||
      det->eigenvalues_.size() == 0 || (det->eigenvalues_.array() <= 0).any()) {
    return make_error(Errc::corruption, "pca artifact: inconsistent shapes");
  }
  det->project_ = det->scaler_.inv_scale.asDiagonal() * det->loadings_;
  det->whiten_ = det->project_ * det->eigenvalues_.cwiseSqrt().cwiseInverse().asDiagonal();
  det->threshold_ = o.statistic == PcaOptions::Statistic::t2q ? 1.0
                    : o.statistic == PcaOptions::Statistic::t2 ? det->t2_limit_
                                                               : det->q_limit_;
  return det;
}

}  // namespace iotwins::analytics
