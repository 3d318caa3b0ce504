// Deterministic synthetic training data for detector tests.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <random>

namespace iotwins::analytics::testing_data {

// n rows of d variables driven by `factors` latent sources plus small noise: correlated data
// with a clear low-dimensional structure.
inline Eigen::MatrixXd correlated(int n, int d, int factors, uint64_t seed, double noise = 0.05) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  Eigen::MatrixXd mix(factors, d);
  for (int i = 0; i < mix.size(); ++i) mix.data()[i] = g(rng);
  Eigen::MatrixXd x(n, d);
  for (int r = 0; r < n; ++r) {
    Eigen::RowVectorXd f(factors);
    for (int k = 0; k < factors; ++k) f[k] = g(rng);
    x.row(r) = f * mix;
    for (int c = 0; c < d; ++c) x(r, c) += noise * g(rng) + 10.0 * c;  // offsets per column
  }
  return x;
}

}  // namespace iotwins::analytics::testing_data
