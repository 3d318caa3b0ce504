#include "analytics/detector.h"

#include <algorithm>
#include <cmath>

namespace iotwins::analytics {

Status check_training(const Eigen::MatrixXd& train, int min_rows, const std::string& who) {
  if (train.cols() < 1) return make_error(Errc::invalid_argument, who + ": training data has no columns");
  if (train.rows() < min_rows) {
    return make_error(Errc::invalid_argument, who + ": needs at least " + std::to_string(min_rows) +
                                                  " training rows, got " +
                                                  std::to_string(train.rows()));
  }
  for (Eigen::Index c = 0; c < train.cols(); ++c) {
    for (Eigen::Index r = 0; r < train.rows(); ++r) {
      if (!std::isfinite(train(r, c))) {
        return make_error(Errc::invalid_argument,
                          who + ": training value at row " + std::to_string(r) + ", column " +
                              std::to_string(c) + " is not finite");
      }
    }
  }
  return ok();
}

Status check_row(const Eigen::Ref<const Eigen::VectorXd>& row, int dim, const std::string& who) {
  if (dim == 0) return make_error(Errc::precondition_failed, who + ": model is not fitted");
  if (row.size() != dim) {
    return make_error(Errc::invalid_argument, who + ": row has " + std::to_string(row.size()) +
                                                  " values, the model expects " +
                                                  std::to_string(dim));
  }
  for (Eigen::Index i = 0; i < row.size(); ++i) {
    if (!std::isfinite(row[i])) {
      return make_error(Errc::invalid_argument,
                        who + ": value " + std::to_string(i) + " of the row is not finite");
    }
  }
  return ok();
}

std::vector<double> normalise_contributions(const Eigen::Ref<const Eigen::VectorXd>& parts) {
  std::vector<double> out(parts.size(), 0.0);
  double total = 0;
  for (Eigen::Index i = 0; i < parts.size(); ++i) total += std::max(0.0, parts[i]);
  if (!(total > 0)) return out;
  for (Eigen::Index i = 0; i < parts.size(); ++i) out[i] = std::max(0.0, parts[i]) / total;
  return out;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  double pos = q * static_cast<double>(values.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, values.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

double apply_rule(const ThresholdRule& rule, const Eigen::Ref<const Eigen::VectorXd>& scores) {
  std::vector<double> v(scores.data(), scores.data() + scores.size());
  return quantile(std::move(v), rule.quantile) * rule.factor;
}

}  // namespace iotwins::analytics
