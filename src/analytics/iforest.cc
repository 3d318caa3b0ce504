#include "analytics/iforest.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "analytics/model_io.h"

namespace iotwins::analytics {
namespace {
constexpr uint32_t kVersion = 1;
const std::string kWho = "iforest";
constexpr double kEuler = 0.5772156649015329;
}  // namespace

double IsolationForest::average_path(double n) {
  if (n <= 1) return 0;
  if (n == 2) return 1;
  return 2.0 * (std::log(n - 1) + kEuler) - 2.0 * (n - 1) / n;
}

Status IsolationForest::fit(const Eigen::MatrixXd& train) {
  IOT_TRY(check_training(train, 2, kWho));
  if (options_.trees < 1 || options_.sample < 2) {
    return make_error(Errc::invalid_argument, "iforest: trees must be >= 1 and sample >= 2");
  }
  dim_ = static_cast<int>(train.cols());
  sample_used_ = static_cast<int>(std::min<Eigen::Index>(options_.sample, train.rows()));
  const int depth_limit = static_cast<int>(std::ceil(std::log2(sample_used_)));
  std::mt19937_64 rng(options_.seed);
  roots_.clear();
  nodes_.clear();
  std::vector<Eigen::Index> all(train.rows());
  std::iota(all.begin(), all.end(), 0);
  struct Task {
    int32_t node;
    size_t begin, end;
    int depth;
  };
  for (int t = 0; t < options_.trees; ++t) {
    // Partial Fisher-Yates: the first sample_used_ entries are a sample without replacement.
    for (int i = 0; i < sample_used_; ++i) {
      std::uniform_int_distribution<Eigen::Index> pick(i, train.rows() - 1);
      std::swap(all[i], all[pick(rng)]);
    }
    std::vector<Eigen::Index> idx(all.begin(), all.begin() + sample_used_);
    roots_.push_back(static_cast<int32_t>(nodes_.size()));
    nodes_.push_back({});
    std::vector<Task> stack{{roots_.back(), 0, idx.size(), 0}};
    while (!stack.empty()) {
      Task task = stack.back();
      stack.pop_back();
      const size_t count = task.end - task.begin;
      auto make_leaf = [&] { nodes_[task.node].split = static_cast<double>(count); };
      if (count <= 1 || task.depth >= depth_limit) {
        make_leaf();
        continue;
      }
      // Only variables that vary among these rows can split them.
      std::vector<int> usable;
      std::vector<std::pair<double, double>> ranges(dim_);
      for (int f = 0; f < dim_; ++f) {
        double lo = train(idx[task.begin], f), hi = lo;
        for (size_t i = task.begin; i < task.end; ++i) {
          lo = std::min(lo, train(idx[i], f));
          hi = std::max(hi, train(idx[i], f));
        }
        ranges[f] = {lo, hi};
        if (hi > lo) usable.push_back(f);
      }
      if (usable.empty()) {
        make_leaf();
        continue;
      }
      std::uniform_int_distribution<size_t> pick_f(0, usable.size() - 1);
      const int f = usable[pick_f(rng)];
      std::uniform_real_distribution<double> pick_v(ranges[f].first, ranges[f].second);
      const double split = pick_v(rng);
      auto mid = std::partition(idx.begin() + task.begin, idx.begin() + task.end,
                                [&](Eigen::Index r) { return train(r, f) < split; });
      const size_t m = static_cast<size_t>(mid - idx.begin());
      const int32_t left = static_cast<int32_t>(nodes_.size());
      nodes_.push_back({});
      nodes_.push_back({});
      nodes_[task.node] = Node{f, left, left + 1, split};
      stack.push_back({left, task.begin, m, task.depth + 1});
      stack.push_back({left + 1, m, task.end, task.depth + 1});
    }
  }
  Eigen::VectorXd scores;
  IOT_TRY(score_batch(train, scores));
  threshold_ = apply_rule(options_.rule, scores);
  return ok();
}

double IsolationForest::path_length(const double* row, size_t tree, Eigen::VectorXd* credit) const {
  int32_t n = roots_[tree];
  int depth = 0;
  thread_local std::vector<int32_t> features;
  features.clear();
  while (nodes_[n].feature >= 0) {
    const Node& node = nodes_[n];
    if (credit) features.push_back(node.feature);
    n = row[node.feature] < node.split ? node.left : node.right;
    ++depth;
  }
  const double h = depth + average_path(nodes_[n].split);
  if (credit && h > 0) {
    for (int32_t f : features) (*credit)[f] += 1.0 / h;
  }
  return h;
}

double IsolationForest::to_score(double mean_path) const {
  const double c = average_path(sample_used_);
  return c > 0 ? std::pow(2.0, -mean_path / c) : 0.5;
}

Result<Detection> IsolationForest::score(const Eigen::Ref<const Eigen::VectorXd>& row) const {
  IOT_TRY(check_row(row, dim_, kWho));
  Eigen::VectorXd r = row;
  Eigen::VectorXd credit = Eigen::VectorXd::Zero(dim_);
  double total = 0;
  for (size_t t = 0; t < roots_.size(); ++t) total += path_length(r.data(), t, &credit);
  Detection d;
  d.score = to_score(total / static_cast<double>(roots_.size()));
  d.threshold = threshold_;
  d.is_anomaly = d.score > threshold_;
  d.contributions = normalise_contributions(credit);
  return d;
}

Status IsolationForest::score_batch(const Eigen::Ref<const Eigen::MatrixXd>& rows,
                                    Eigen::VectorXd& out) const {
  if (dim_ == 0) return make_error(Errc::precondition_failed, "iforest: model is not fitted");
  if (rows.cols() != dim_) {
    return make_error(Errc::invalid_argument, "iforest: rows have " + std::to_string(rows.cols()) +
                                                  " columns, the model expects " +
                                                  std::to_string(dim_));
  }
  out.resize(rows.rows());
  Eigen::VectorXd row(dim_);
  for (Eigen::Index i = 0; i < rows.rows(); ++i) {
    row = rows.row(i).transpose();
    double total = 0;
    for (size_t t = 0; t < roots_.size(); ++t) total += path_length(row.data(), t, nullptr);
    out[i] = to_score(total / static_cast<double>(roots_.size()));
  }
  return ok();
}

std::string IsolationForest::serialize() const {
  ModelWriter w(kind(), kVersion);
  w.u32(static_cast<uint32_t>(options_.trees));
  w.u32(static_cast<uint32_t>(options_.sample));
  w.u64(options_.seed);
  w.f64(options_.rule.quantile);
  w.f64(options_.rule.factor);
  w.u32(static_cast<uint32_t>(dim_));
  w.u32(static_cast<uint32_t>(sample_used_));
  w.f64(threshold_);
  w.u32(static_cast<uint32_t>(roots_.size()));
  for (int32_t r : roots_) w.u32(static_cast<uint32_t>(r));
  w.u32(static_cast<uint32_t>(nodes_.size()));
  for (const Node& n : nodes_) {
    w.u32(static_cast<uint32_t>(n.feature));
    w.u32(static_cast<uint32_t>(n.left));
    w.u32(static_cast<uint32_t>(n.right));
    w.f64(n.split);
  }
  return std::move(w).finish();
}

Result<std::unique_ptr<IsolationForest>> IsolationForest::deserialize(std::string_view blob) {
  IOT_ASSIGN(ModelReader r, ModelReader::open(blob, "iforest", kVersion));
  IforestOptions o;
  IOT_ASSIGN(uint32_t trees, r.u32());
  IOT_ASSIGN(uint32_t sample, r.u32());
  IOT_ASSIGN(uint64_t seed, r.u64());
  IOT_ASSIGN(o.rule.quantile, r.f64());
  IOT_ASSIGN(o.rule.factor, r.f64());
  o.trees = static_cast<int>(trees);
  o.sample = static_cast<int>(sample);
  o.seed = seed;
  auto det = std::make_unique<IsolationForest>(o);
  IOT_ASSIGN(uint32_t dim, r.u32());
  IOT_ASSIGN(uint32_t used, r.u32());
  IOT_ASSIGN(det->threshold_, r.f64());
  det->dim_ = static_cast<int>(dim);
  det->sample_used_ = static_cast<int>(used);
  IOT_ASSIGN(uint32_t n_roots, r.u32());
  for (uint32_t i = 0; i < n_roots; ++i) {
    IOT_ASSIGN(uint32_t root, r.u32());
    det->roots_.push_back(static_cast<int32_t>(root));
  }
  IOT_ASSIGN(uint32_t n_nodes, r.u32());
  for (uint32_t i = 0; i < n_nodes; ++i) {
    Node n;
    IOT_ASSIGN(uint32_t f, r.u32());
    IOT_ASSIGN(uint32_t left, r.u32());
    IOT_ASSIGN(uint32_t right, r.u32());
    IOT_ASSIGN(n.split, r.f64());
    n.feature = static_cast<int32_t>(f);
    n.left = static_cast<int32_t>(left);
    n.right = static_cast<int32_t>(right);
    det->nodes_.push_back(n);
  }
  IOT_TRY(r.done());
  // Every reference must stay inside the arrays, and children must come after their parent
  // (as fit() builds them), so a corrupt artifact can neither read out of bounds nor loop.
  const auto size = static_cast<int32_t>(det->nodes_.size());
  if (det->dim_ < 1 || det->roots_.empty()) return make_error(Errc::corruption, "iforest artifact: empty");
  for (int32_t root : det->roots_) {
    if (root < 0 || root >= size) return make_error(Errc::corruption, "iforest artifact: bad root");
  }
  for (int32_t i = 0; i < size; ++i) {
    const Node& n = det->nodes_[i];
    if (n.feature < 0) continue;
    if (n.feature >= det->dim_ || n.left <= i || n.right <= i || n.left >= size || n.right >= size) {
      return make_error(Errc::corruption, "iforest artifact: bad node " + std::to_string(i));
    }
  }
  return det;
}

}  // namespace iotwins::analytics
