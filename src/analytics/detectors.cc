#include "analytics/detectors.h"

#include "analytics/model_io.h"
#include "analytics/pca.h"

namespace iotwins::analytics {
namespace {

// Options every detector understands (series options are read by SeriesDetector).
#define IOT_COMMON_KEYS "type", "quantile", "factor", "lags", "diffs", "smooth", "calibration"

Result<ThresholdRule> rule_of(const Params& p) {
  ThresholdRule r;
  IOT_ASSIGN(r.quantile, p.number_in("quantile", 0.99, 0, 1));
  IOT_ASSIGN(r.factor, p.number_in("factor", 1, 0, 1e6));
  return r;
}

Result<std::unique_ptr<Detector>> make_pca(const Params& p) {
  IOT_TRY(p.check_known({IOT_COMMON_KEYS, "variance", "statistic"}));
  PcaOptions o;
  IOT_ASSIGN(o.rule, rule_of(p));
  IOT_ASSIGN(o.variance, p.number_in("variance", 0.9, 1e-6, 1));
  IOT_ASSIGN(std::string stat, p.choice("statistic", "t2q", {"t2q", "t2", "q"}));
  o.statistic = stat == "t2" ? PcaOptions::Statistic::t2
                : stat == "q" ? PcaOptions::Statistic::q
                              : PcaOptions::Statistic::t2q;
  return std::unique_ptr<Detector>(std::make_unique<PcaDetector>(o));
}

}  // namespace

Result<std::unique_ptr<Detector>> make_detector(const Params& params) {
  IOT_ASSIGN(std::string type, params.choice("type", "pca", {"pca"}));
  if (type == "pca") return make_pca(params);
  return make_error(Errc::internal, "unreachable detector type " + type);
}

Result<std::unique_ptr<Detector>> deserialize_detector(std::string_view blob) {
  IOT_ASSIGN(std::string kind, ModelReader::peek_kind(blob));
  if (kind == "pca") {
    IOT_ASSIGN(auto d, PcaDetector::deserialize(blob));
    return std::unique_ptr<Detector>(std::move(d));
  }
  return make_error(Errc::unsupported, "unknown model kind '" + kind + "'");
}

}  // namespace iotwins::analytics
