#include "analytics/detectors.h"

#include "analytics/autoencoder.h"
#include "analytics/iforest.h"
#include "analytics/model_io.h"
#include "analytics/mset.h"
#include "analytics/pca.h"

namespace iotwins::analytics {
namespace {

// Options every detector understands (series options are read by SeriesDetector).
#define IOT_COMMON_KEYS "type", "quantile", "factor", "lags", "diffs", "smooth", "calibration", \
                        "slow_ratio"

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

Result<std::unique_ptr<Detector>> make_mset(const Params& p) {
  IOT_TRY(p.check_known({IOT_COMMON_KEYS, "memory", "bandwidth", "ridge"}));
  MsetOptions o;
  IOT_ASSIGN(o.rule, rule_of(p));
  IOT_ASSIGN(o.memory, p.integer("memory", 120, 2, 5000));
  IOT_ASSIGN(o.bandwidth, p.number_in("bandwidth", 0, 0, 1e9));
  IOT_ASSIGN(o.ridge, p.number_in("ridge", 1e-6, 0, 1e3));
  return std::unique_ptr<Detector>(std::make_unique<MsetDetector>(o));
}

Result<std::unique_ptr<Detector>> make_iforest(const Params& p) {
  IOT_TRY(p.check_known({IOT_COMMON_KEYS, "trees", "sample", "seed"}));
  IforestOptions o;
  IOT_ASSIGN(o.rule, rule_of(p));
  IOT_ASSIGN(o.trees, p.integer("trees", 100, 1, 10000));
  IOT_ASSIGN(o.sample, p.integer("sample", 256, 2, 1 << 20));
  IOT_ASSIGN(int seed, p.integer("seed", 1, 0, 1 << 30));
  o.seed = static_cast<uint64_t>(seed);
  return std::unique_ptr<Detector>(std::make_unique<IsolationForest>(o));
}

Result<std::unique_ptr<Detector>> make_autoencoder(const Params& p) {
  IOT_TRY(p.check_known({IOT_COMMON_KEYS, "hidden", "code", "epochs", "batch", "lr",
                         "weight_decay", "seed"}));
  AutoencoderOptions o;
  IOT_ASSIGN(o.rule, rule_of(p));
  IOT_ASSIGN(o.hidden, p.integer("hidden", 16, 1, 4096));
  IOT_ASSIGN(o.code, p.integer("code", 3, 1, 4096));
  IOT_ASSIGN(o.epochs, p.integer("epochs", 200, 1, 100000));
  IOT_ASSIGN(o.batch, p.integer("batch", 32, 1, 1 << 20));
  IOT_ASSIGN(o.learning_rate, p.number_in("lr", 3e-3, 1e-9, 10));
  IOT_ASSIGN(o.weight_decay, p.number_in("weight_decay", 1e-5, 0, 10));
  IOT_ASSIGN(int seed, p.integer("seed", 1, 0, 1 << 30));
  o.seed = static_cast<uint64_t>(seed);
  return std::unique_ptr<Detector>(std::make_unique<Autoencoder>(o));
}

template <class T>
Result<std::unique_ptr<Detector>> load(std::string_view blob) {
  IOT_ASSIGN(auto d, T::deserialize(blob));
  return std::unique_ptr<Detector>(std::move(d));
}

}  // namespace

Result<std::unique_ptr<Detector>> make_detector(const Params& params) {
  IOT_ASSIGN(std::string type, params.choice("type", "pca", {"pca", "mset", "iforest", "autoencoder"}));
  if (type == "pca") return make_pca(params);
  if (type == "mset") return make_mset(params);
  if (type == "iforest") return make_iforest(params);
  if (type == "autoencoder") return make_autoencoder(params);
  return make_error(Errc::internal, "unreachable detector type " + type);
}

Result<std::unique_ptr<Detector>> deserialize_detector(std::string_view blob) {
  IOT_ASSIGN(std::string kind, ModelReader::peek_kind(blob));
  if (kind == "pca") return load<PcaDetector>(blob);
  if (kind == "mset") return load<MsetDetector>(blob);
  if (kind == "iforest") return load<IsolationForest>(blob);
  if (kind == "autoencoder") return load<Autoencoder>(blob);
  return make_error(Errc::unsupported, "unknown model kind '" + kind + "'");
}

}  // namespace iotwins::analytics
