// Building detectors by name from configuration, and reading artifacts back.
//   type: pca          variance (0.9), statistic (t2q | t2 | q), quantile (0.99), factor (1)
//   type: mset         memory (120), bandwidth (auto: median pairwise distance), quantile, factor
//   type: iforest      trees (100), sample (256), seed (1), quantile, factor
//   type: autoencoder  hidden (16), code (3), epochs (200), batch (32), lr (0.003), seed (1), ...
//   any type may add   lags (0), diffs (false), smooth (1): see windowed.h
#pragma once

#include <memory>
#include <string_view>

#include "analytics/detector.h"
#include "analytics/params.h"

namespace iotwins::analytics {

Result<std::unique_ptr<Detector>> make_detector(const Params& params);
Result<std::unique_ptr<Detector>> deserialize_detector(std::string_view blob);

}  // namespace iotwins::analytics
