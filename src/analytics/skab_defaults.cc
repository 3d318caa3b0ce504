// The detectors `iotwins models evaluate` runs by default, with hyper-parameters fixed before
// looking at any test row (the rules behind each value are in src/analytics/README.md).
#include "analytics/skab.h"

namespace iotwins::analytics::skab {
namespace {

DetectorSpec spec(std::string name, std::string type, std::map<std::string, ParamValue> values) {
  values["type"] = std::move(type);
  return DetectorSpec{std::move(name), Params(std::move(values), "detector '" + name + "'")};
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
      spec("PCA T2+Q", "pca", row),
      spec("PCA T2", "pca", {{"quantile", 0.99}, {"factor", 1.5}, {"statistic", std::string("t2")}}),
      spec("MSET", "mset", row),
      // Its score is bounded by 1, so a factor over 1 could forbid every alarm: factor 1.
      spec("Isolation forest", "iforest", {{"quantile", 0.99}, {"factor", 1.0}}),
      spec("Autoencoder", "autoencoder", row),
      // Dynamic PCA (Ku, Storer & Georgakis 1995): each row with its 2 predecessors.
      spec("DPCA T2+Q (lags 2)", "pca", {{"quantile", 0.99}, {"factor", 1.5}, {"lags", 2.0}}),
      // The published Conv-AE reads windows of consecutive rows; the dense analogue reads a
      // 10-row window (the row and 9 lags), with the same limit rule.
      spec("Autoencoder window (lags 9)", "autoencoder",
           {{"quantile", 0.99}, {"factor", 1.5}, {"lags", 9.0}, {"hidden", 32.0}, {"code", 8.0}}),
      spec("PCA T2+Q series", "pca", series),
      spec("MSET series", "mset", series),
      spec("Autoencoder series", "autoencoder", series),
  };
}

}  // namespace iotwins::analytics::skab
