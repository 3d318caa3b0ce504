// The Training task (cloud): reads a time range of a twin's series from the server's store, fits
// an anomaly detector on them (rows = time buckets, columns = the properties), evaluates it on the
// training rows, and registers the model as a new version in the model registry — its bytes in the
// artifact store, its metrics and lineage (series, data range, parameters) beside it. Optionally
// promotes it, which every Inference task using the model picks up live.
#pragma once

#include <string>
#include <vector>

#include "analytics/params.h"
#include "api/http_client.h"
#include "core/result.h"

namespace iotwins::tasks {

struct TrainingSpec {
  std::string model;                     // registry name
  std::string twin;
  std::vector<std::string> properties;   // the detector's variables, in this order
  std::string from = "-1h", to = "now";  // the series API's times
  std::string step = "1s";               // rows are `step` buckets (mean), joined on time
  // The detector: a preset of `iotwins models evaluate` ("pca", "dpca-slow-diff", …) or a JSON
  // object of options ({"type":"pca","smooth":10,…}, analytics/detectors.h).
  std::string detector = "pca";
  std::string created_by = "training-task";
  bool promote = false;
  size_t min_rows = 60;
};

struct TrainingResult {
  int64_t version = 0;
  std::string sha256;
  size_t rows = 0;
  double threshold = 0;
  double training_alarm_rate = 0;  // share of training rows above the limit (a false-alarm estimate)
  bool promoted = false;
};

// The detector's options of a TrainingSpec::detector (invalid_argument listing the presets).
Result<analytics::Params> detector_params(const std::string& detector);

// Progress lines go to `progress` (may be empty).
Result<TrainingResult> train(api::HttpClient& server, const TrainingSpec& spec,
                             const std::function<void(const std::string&)>& progress = {});

}  // namespace iotwins::tasks
