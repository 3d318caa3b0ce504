// The detectors `iotwins models evaluate` runs by default, with hyper-parameters fixed before
// looking at any test row (the rules behind each value are in src/analytics/README.md).
#include "analytics/skab.h"

namespace iotwins::analytics::skab {
namespace {

DetectorSpec spec(std::string id, std::string name, std::string type,
                  std::map<std::string, ParamValue> values) {
  values["type"] = std::move(type);
  Params params(std::move(values), "detector '" + name + "'");
  return DetectorSpec{std::move(name), std::move(params), std::move(id)};
}

std::map<std::string, ParamValue> slow_diff(double lags) {
  return {{"quantile", 0.99}, {"factor", 1.5}, {"smooth", 10.0}, {"slow_ratio", 1.0}, {"lags", lags}};
}

}  // namespace

std::vector<DetectorSpec> default_detectors() {
  // Row detectors: limit = 1.5 x the 0.99 quantile of the training rows' scores, the rule of
  // SKAB's own Conv-AE baseline. Series variants: 10-row mean of the score, limit = the largest
  // smoothed score on the last quarter of the training rows, which the model did not see.
  const std::map<std::string, ParamValue> row = {{"quantile", 0.99}, {"factor", 1.5}};
  const std::map<std::string, ParamValue> series = {
      {"smooth", 10.0}, {"calibration", 0.25}, {"quantile", 1.0}, {"factor", 1.0}};
  return {
      spec("pca", "PCA T2+Q", "pca", row),
      spec("pca-t2", "PCA T2", "pca", {{"quantile", 0.99}, {"factor", 1.5}, {"statistic", std::string("t2")}}),
      spec("mset", "MSET", "mset", row),
      // Its score is bounded by 1, so a factor over 1 could forbid every alarm: factor 1.
      spec("iforest", "Isolation forest", "iforest", {{"quantile", 0.99}, {"factor", 1.0}}),
      spec("autoencoder", "Autoencoder", "autoencoder", row),
      // Dynamic PCA (Ku, Storer & Georgakis 1995): each row with its 2 predecessors.
      spec("dpca", "DPCA T2+Q (lags 2)", "pca", {{"quantile", 0.99}, {"factor", 1.5}, {"lags", 2.0}}),
      // The published Conv-AE reads windows of consecutive rows; the dense analogue reads a
      // 10-row window (the row and 9 lags), with the same limit rule.
      spec("autoencoder-window", "Autoencoder window (lags 9)", "autoencoder",
           {{"quantile", 0.99}, {"factor", 1.5}, {"lags", 9.0}, {"hidden", 32.0}, {"code", 8.0}}),
      spec("pca-series", "PCA T2+Q series", "pca", series),
      spec("mset-series", "MSET series", "mset", series),
      spec("autoencoder-series", "Autoencoder series", "autoencoder", series),
      // Slow variables (von Neumann ratio of the training rows < 1, i.e. lag-1 autocorrelation
      // > 0.5: temperatures) enter as first differences, so a level they keep after an episode
      // is forgotten; the score is the 10-row mean and its limit 1.5 x q0.99 of the training
      // rows' smoothed scores (the Conv-AE rule applied to the statistic that is compared).
      spec("dpca-slow-diff", "DPCA T2+Q slow-diff (lags 2, smooth 10)", "pca", slow_diff(2)),
      spec("mset-slow-diff", "MSET slow-diff (smooth 10)", "mset", slow_diff(0)),
  };
}

}  // namespace iotwins::analytics::skab
