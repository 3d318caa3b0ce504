// Standardizer: per-column centring and scaling learnt from training rows. A column that is
// constant in training keeps a small positive scale so a later change still registers without
// dividing by zero.
#pragma once

#include <Eigen/Core>

#include "analytics/model_io.h"

namespace iotwins::analytics {

struct Standardizer {
  Eigen::VectorXd mean;
  Eigen::VectorXd inv_scale;  // 1 / standard deviation

  void fit(const Eigen::MatrixXd& x) {
    mean = x.colwise().mean().transpose();
    inv_scale.resize(x.cols());
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      double var = (x.col(c).array() - mean[c]).square().sum() /
                   static_cast<double>(std::max<Eigen::Index>(1, x.rows() - 1));
      double sd = std::sqrt(var);
      double floor = 1e-6 * std::max(1.0, std::abs(mean[c]));
      inv_scale[c] = 1.0 / std::max(sd, floor);
    }
  }
  Eigen::MatrixXd apply(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
    return (x.rowwise() - mean.transpose()) * inv_scale.asDiagonal();
  }
  Eigen::VectorXd apply_row(const Eigen::Ref<const Eigen::VectorXd>& row) const {
    return (row - mean).cwiseProduct(inv_scale);
  }
  void write(ModelWriter& w) const {
    w.vec(mean);
    w.vec(inv_scale);
  }
  Status read(ModelReader& r) {
    IOT_ASSIGN(mean, r.vec());
    IOT_ASSIGN(inv_scale, r.vec());
    if (mean.size() != inv_scale.size()) {
      return make_error(Errc::corruption, "standardizer sizes differ");
    }
    return ok();
  }
};

}  // namespace iotwins::analytics
