// The detectors `iotwins models evaluate` runs by default, with hyper-parameters fixed before
// looking at any test row (the rules behind each value are in src/analytics/README.md).
#include "analytics/skab.h"

namespace iotwins::analytics::skab {
namespace {

DetectorSpec spec(std::string name, std::map<std::string, ParamValue> values) {
  return DetectorSpec{std::move(name), Params(std::move(values), "detector")};
}

}  // namespace

std::vector<DetectorSpec> default_detectors() {
  return {
      spec("PCA T2+Q", {{"type", std::string("pca")}}),
      spec("PCA T2+Q smooth", {{"type", std::string("pca")}, {"smooth", 10.0}, {"calibration", 0.25}, {"quantile", 1.0}}),
  };
}

}  // namespace iotwins::analytics::skab
