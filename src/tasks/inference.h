// The Inference task (edge): follows a twin's telemetry on the edge broker, scores every row with
// the model version the registry has promoted, and publishes what it finds through the same broker,
// so it flows up like device data:
//   iotwins/<twin>/reported          {"health": "ok"|"critical", "anomaly_score": score/limit, "model": "name@v"}
//                                    on every change of health and at most every `report_every`
//   iotwins/<twin>/events/anomaly    when a row crosses the limit: score, limit, model, the variables'
//                                    contributions (largest first) — and events/anomaly_cleared after
//                                    `clear_after` normal rows
// It watches the registry and swaps in a newly promoted (or rolled back) version live, without a
// restart. Variables and the twin come from the version's lineage ("twin/property" series).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>

#include "core/result.h"

namespace iotwins::tasks {

struct InferenceOptions {
  std::string server_url;
  std::string ca_file;
  std::string model;
  std::string broker_url = "mqtt://127.0.0.1:1883";
  std::string twin;  // empty: the twin of the model's training series
  std::chrono::milliseconds poll{2000};           // how often the registry is asked
  std::chrono::milliseconds report_every{5000};   // health/score reported at most this often
  int clear_after = 5;                            // normal rows before an anomaly clears
  std::stop_token stop;
  std::function<void(const std::string&)> progress;  // log lines (model live, anomalies)
};

struct InferenceStats {
  uint64_t rows = 0;
  uint64_t anomalies = 0;   // episodes started
  uint64_t model_swaps = 0;
};

Result<InferenceStats> run_inference(const InferenceOptions& options);

}  // namespace iotwins::tasks
