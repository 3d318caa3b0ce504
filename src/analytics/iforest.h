// Isolation forest (Liu, Ting & Zhou 2008): `trees` random trees, each grown on `sample`
// training rows drawn without replacement, splitting on a random variable at a random value
// until a row is alone or the depth limit ceil(log2(sample)) is reached. Score
// s = 2^(-E[h(x)] / c(sample)), in (0, 1]. Explanation: in every tree, each split on the path
// credits its variable with 1 / h(x) (short paths, the isolating ones, weigh most); the credits
// are averaged over the trees. The random generator is seeded, so a fit is reproducible.
#pragma once

#include <cstdint>

#include "analytics/detector.h"

namespace iotwins::analytics {

struct IforestOptions {
  int trees = 100;
  int sample = 256;
  uint64_t seed = 1;
  ThresholdRule rule;
};

class IsolationForest final : public Detector {
 public:
  explicit IsolationForest(IforestOptions options = {}) : options_(options) {}
  static Result<std::unique_ptr<IsolationForest>> deserialize(std::string_view blob);

  std::string kind() const override { return "iforest"; }
  Status fit(const Eigen::MatrixXd& train) override;
  int dimension() const override { return dim_; }
  Result<Detection> score(const Eigen::Ref<const Eigen::VectorXd>& row) const override;
  Status score_batch(const Eigen::Ref<const Eigen::MatrixXd>& rows,
                     Eigen::VectorXd& out) const override;
  double threshold() const override { return threshold_; }
  std::string serialize() const override;

  // c(n): the mean path length of an unsuccessful search in a binary search tree of n keys.
  static double average_path(double n);

 private:
  struct Node {
    int32_t feature = -1;  // -1: leaf
    int32_t left = -1, right = -1;
    double split = 0;      // leaf: the number of training rows that reached it
  };
  // Path length of `row` in tree t; adds 1/h credits per split feature into `credit` if given.
  double path_length(const double* row, size_t tree, Eigen::VectorXd* credit) const;
  double to_score(double mean_path) const;

  IforestOptions options_;
  int dim_ = 0;
  int sample_used_ = 0;
  std::vector<int32_t> roots_;
  std::vector<Node> nodes_;
  double threshold_ = 0;
};

}  // namespace iotwins::analytics
