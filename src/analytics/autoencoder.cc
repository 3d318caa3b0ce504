#include "analytics/autoencoder.h"

#include <cmath>
#include <numeric>
#include <random>

#include "analytics/model_io.h"

namespace iotwins::analytics {
namespace {
constexpr uint32_t kVersion = 1;
const std::string kWho = "autoencoder";

// Adam state of one parameter array.
struct Adam {
  Eigen::ArrayXXd m, v;
  void init(Eigen::Index r, Eigen::Index c) {
    m = Eigen::ArrayXXd::Zero(r, c);
    v = Eigen::ArrayXXd::Zero(r, c);
  }
  template <class P, class G>
  void step(P& param, const G& grad, double lr, int t) {
    constexpr double kB1 = 0.9, kB2 = 0.999, kEps = 1e-8;
    m = kB1 * m + (1 - kB1) * grad.array();
    v = kB2 * v + (1 - kB2) * grad.array().square();
    const double c1 = 1 - std::pow(kB1, t), c2 = 1 - std::pow(kB2, t);
    param.array() -= lr * (m / c1) / ((v / c2).sqrt() + kEps);
  }
};

}  // namespace

Eigen::MatrixXd Autoencoder::forward(const Eigen::MatrixXd& z) const {
  Eigen::MatrixXd a = z;
  for (int l = 0; l < kLayers; ++l) {
    Eigen::MatrixXd pre = (a * w_[l]).rowwise() + b_[l];
    a = l + 1 < kLayers ? Eigen::MatrixXd(pre.array().tanh()) : pre;
  }
  return a;
}

Status Autoencoder::fit(const Eigen::MatrixXd& train) {
  IOT_TRY(check_training(train, 2, kWho));
  const AutoencoderOptions& o = options_;
  if (o.hidden < 1 || o.code < 1 || o.epochs < 1 || o.batch < 1 || !(o.learning_rate > 0)) {
    return make_error(Errc::invalid_argument,
                      "autoencoder: hidden, code, epochs, batch and lr must be positive");
  }
  scaler_.fit(train);
  const Eigen::MatrixXd z = scaler_.apply(train);
  const int d = static_cast<int>(z.cols());
  const int sizes[kLayers + 1] = {d, o.hidden, o.code, o.hidden, d};
  std::mt19937_64 rng(o.seed);
  Adam adam_w[kLayers], adam_b[kLayers];
  for (int l = 0; l < kLayers; ++l) {
    const double limit = std::sqrt(6.0 / (sizes[l] + sizes[l + 1]));
    std::uniform_real_distribution<double> u(-limit, limit);
    w_[l].resize(sizes[l], sizes[l + 1]);
    for (Eigen::Index i = 0; i < w_[l].size(); ++i) w_[l].data()[i] = u(rng);
    b_[l] = Eigen::RowVectorXd::Zero(sizes[l + 1]);
    adam_w[l].init(sizes[l], sizes[l + 1]);
    adam_b[l].init(1, sizes[l + 1]);
  }
  std::vector<Eigen::Index> order(z.rows());
  std::iota(order.begin(), order.end(), 0);
  losses_.clear();
  int step = 0;
  Eigen::MatrixXd act[kLayers + 1];
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t start = 0; start < order.size(); start += o.batch) {
      const Eigen::Index n = std::min<Eigen::Index>(o.batch, order.size() - start);
      act[0].resize(n, d);
      for (Eigen::Index i = 0; i < n; ++i) act[0].row(i) = z.row(order[start + i]);
      for (int l = 0; l < kLayers; ++l) {
        Eigen::MatrixXd pre = (act[l] * w_[l]).rowwise() + b_[l];
        act[l + 1] = l + 1 < kLayers ? Eigen::MatrixXd(pre.array().tanh()) : pre;
      }
      // d(MSE)/d(output) with MSE averaged over rows and variables.
      Eigen::MatrixXd delta = (act[kLayers] - act[0]) * (2.0 / static_cast<double>(n * d));
      ++step;
      for (int l = kLayers - 1; l >= 0; --l) {
        Eigen::MatrixXd grad_w = act[l].transpose() * delta + o.weight_decay * w_[l];
        Eigen::RowVectorXd grad_b = delta.colwise().sum();
        if (l > 0) {
          // Through tanh: derivative 1 - a² of the previous layer's activation.
          delta = (delta * w_[l].transpose()).array() * (1.0 - act[l].array().square());
        }
        adam_w[l].step(w_[l], grad_w, o.learning_rate, step);
        adam_b[l].step(b_[l], grad_b, o.learning_rate, step);
      }
    }
    losses_.push_back((forward(z) - z).array().square().mean());
  }
  Eigen::VectorXd scores;
  IOT_TRY(score_batch(train, scores));
  threshold_ = apply_rule(options_.rule, scores);
  return ok();
}

Result<Detection> Autoencoder::score(const Eigen::Ref<const Eigen::VectorXd>& row) const {
  IOT_TRY(check_row(row, dimension(), kWho));
  Eigen::MatrixXd z = scaler_.apply_row(row).transpose();
  Eigen::VectorXd err = (forward(z) - z).row(0).transpose().cwiseAbs2();
  Detection d;
  d.score = err.mean();
  d.threshold = threshold_;
  d.is_anomaly = d.score > threshold_;
  d.contributions = normalise_contributions(err);
  return d;
}

Status Autoencoder::score_batch(const Eigen::Ref<const Eigen::MatrixXd>& rows,
                                Eigen::VectorXd& out) const {
  if (dimension() == 0) return make_error(Errc::precondition_failed, "autoencoder: model is not fitted");
  if (rows.cols() != dimension()) {
    return make_error(Errc::invalid_argument, "autoencoder: rows have " +
                                                  std::to_string(rows.cols()) +
                                                  " columns, the model expects " +
                                                  std::to_string(dimension()));
  }
  constexpr Eigen::Index kBlock = 1024;
  out.resize(rows.rows());
  for (Eigen::Index b = 0; b < rows.rows(); b += kBlock) {
    const Eigen::Index n = std::min(kBlock, rows.rows() - b);
    Eigen::MatrixXd z = scaler_.apply(rows.middleRows(b, n));
    out.segment(b, n) = (forward(z) - z).array().square().rowwise().mean().matrix();
  }
  return ok();
}

std::string Autoencoder::serialize() const {
  ModelWriter w(kind(), kVersion);
  const AutoencoderOptions& o = options_;
  w.u32(static_cast<uint32_t>(o.hidden));
  w.u32(static_cast<uint32_t>(o.code));
  w.u32(static_cast<uint32_t>(o.epochs));
  w.u32(static_cast<uint32_t>(o.batch));
  w.f64(o.learning_rate);
  w.f64(o.weight_decay);
  w.u64(o.seed);
  w.f64(o.rule.quantile);
  w.f64(o.rule.factor);
  scaler_.write(w);
  for (int l = 0; l < kLayers; ++l) {
    w.mat(w_[l]);
    w.vec(b_[l].transpose());
  }
  w.f64(threshold_);
  return std::move(w).finish();
}

Result<std::unique_ptr<Autoencoder>> Autoencoder::deserialize(std::string_view blob) {
  IOT_ASSIGN(ModelReader r, ModelReader::open(blob, "autoencoder", kVersion));
  AutoencoderOptions o;
  IOT_ASSIGN(uint32_t hidden, r.u32());
  IOT_ASSIGN(uint32_t code, r.u32());
  IOT_ASSIGN(uint32_t epochs, r.u32());
  IOT_ASSIGN(uint32_t batch, r.u32());
  o.hidden = static_cast<int>(hidden);
  o.code = static_cast<int>(code);
  o.epochs = static_cast<int>(epochs);
  o.batch = static_cast<int>(batch);
  IOT_ASSIGN(o.learning_rate, r.f64());
  IOT_ASSIGN(o.weight_decay, r.f64());
  IOT_ASSIGN(o.seed, r.u64());
  IOT_ASSIGN(o.rule.quantile, r.f64());
  IOT_ASSIGN(o.rule.factor, r.f64());
  auto det = std::make_unique<Autoencoder>(o);
  IOT_TRY(det->scaler_.read(r));
  for (int l = 0; l < kLayers; ++l) {
    IOT_ASSIGN(det->w_[l], r.mat());
    IOT_ASSIGN(Eigen::VectorXd b, r.vec());
    det->b_[l] = b.transpose();
  }
  IOT_ASSIGN(det->threshold_, r.f64());
  IOT_TRY(r.done());
  Eigen::Index in = det->scaler_.mean.size();
  for (int l = 0; l < kLayers; ++l) {
    if (det->w_[l].rows() != in || det->b_[l].size() != det->w_[l].cols()) {
      return make_error(Errc::corruption, "autoencoder artifact: inconsistent layer " + std::to_string(l));
    }
    in = det->w_[l].cols();
  }
  if (in != det->scaler_.mean.size()) return make_error(Errc::corruption, "autoencoder artifact: output width");
  return det;
}

}  // namespace iotwins::analytics
