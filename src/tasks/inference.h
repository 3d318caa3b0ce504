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
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins::tasks {

// One telemetry row of a twin: its numeric fields and its "ts" (ms since the epoch, 0 if none).
struct TelemetryRow {
  int64_t ts_ms = 0;
  std::map<std::string, double> values;
};

// The rows run_inference scores: the broker's telemetry goes in here, and so may a caller's own
// records (a builtin task's input streams). Only rows of the watched twin are kept (bounded; rows
// beyond the bound are dropped). Thread-safe.
class TelemetryFeed {
 public:
  static constexpr size_t kMaxQueued = 100'000;
  // A JSON object of numbers (and an optional numeric "ts"); anything else is ignored.
  void push(std::string_view twin, std::string_view json_object);
  void watch(const std::string& twin);  // clears the queue
  // Waits up to `wait` for rows and takes them all.
  std::deque<TelemetryRow> take(std::chrono::milliseconds wait);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<TelemetryRow> queue_;
  std::string watched_;
};

struct InferenceOptions {
  std::string server_url;
  std::string ca_file;
  std::string model;
  std::string broker_url = "mqtt://127.0.0.1:1883";
  std::string bearer_token;  // sent to the server when not empty
  std::string client_id;     // the MQTT client id; empty: iotwins-inference-<model>
  std::string twin;  // empty: the twin of the model's training series
  int64_t version = 0;  // 0: follow the promoted version; else this version only
  // The alarm limit is the model's own limit times this: < 1 alarms earlier, > 1 later.
  double limit_scale = 1.0;
  // When not empty: a version reading a variable not listed here is not loaded (logged).
  std::vector<std::string> variables;
  bool follow_broker = true;  // score the broker's iotwins/+/telemetry (else only `feed`)
  std::shared_ptr<TelemetryFeed> feed;  // extra rows (may be null)
  std::chrono::milliseconds poll{2000};           // how often the registry is asked
  std::chrono::milliseconds report_every{5000};   // health/score reported at most this often
  int clear_after = 5;                            // normal rows before an anomaly clears
  std::stop_token stop;
  std::function<void(const std::string&)> progress;  // log lines (model live, anomalies)
  // A version went live on a twin (after the first load and every swap).
  std::function<void(const std::string& twin, int64_t version)> on_live;
  // Every event published: type "anomaly" or "anomaly_cleared", and its JSON text.
  std::function<void(const std::string& twin, const std::string& type, const std::string& event_json)> on_event;
};

struct InferenceStats {
  uint64_t rows = 0;
  uint64_t anomalies = 0;   // episodes started
  uint64_t model_swaps = 0;
};

Result<InferenceStats> run_inference(const InferenceOptions& options);

}  // namespace iotwins::tasks
