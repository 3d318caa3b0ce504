#include "analytics/skab.h"

#include <chrono>
#include <cstdio>

#include "analytics/detectors.h"
#include "analytics/skab_csv.h"
#include "analytics/windowed.h"

namespace iotwins::analytics::skab {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// One file through one detector: fit on the head, predict the tail, count.
Status run_file(const LabelledSeries& s, int train_rows, const DetectorSpec& spec,
                DetectorResult& acc) {
  IOT_ASSIGN(auto pipeline, SeriesDetector::create(spec.params));
  const Eigen::Index n = s.values.rows();
  auto t0 = Clock::now();
  IOT_TRY(pipeline->fit(s.values.topRows(train_rows)));
  acc.fit_seconds += seconds_since(t0);
  acc.model_bytes += pipeline->serialize().size();
  // The detector scores the whole series in time order (lag features and smoothing need the
  // rows before each test row, which include the training tail); only test rows are counted.
  t0 = Clock::now();
  IOT_ASSIGN(std::vector<uint8_t> flags, pipeline->predict_series(s.values, train_rows));
  acc.score_seconds += seconds_since(t0);
  acc.scored_rows += n - train_rows;
  for (Eigen::Index r = train_rows; r < n; ++r) {
    bool truth = s.labels[r] != 0;
    bool pred = flags[r - train_rows] != 0;
    if (truth && pred) ++acc.counts.tp;
    else if (truth) ++acc.counts.fn;
    else if (pred) ++acc.counts.fp;
    else ++acc.counts.tn;
  }
  return ok();
}

}  // namespace

double Counts::f1() const {
  double denom = tp + (fn + fp) / 2.0;
  return denom > 0 ? tp / denom : 0;
}
double Counts::far() const { return fp + tn > 0 ? 100.0 * fp / (fp + tn) : 0; }
double Counts::mar() const { return fn + tp > 0 ? 100.0 * fn / (fn + tp) : 0; }

const std::vector<PublishedScore>& leaderboard() {
  static const std::vector<PublishedScore> kBoard = {
      {"Conv-AE", 0.78, 13.55, 28.02},       {"MSET", 0.78, 39.73, 14.13},
      {"T-squared+Q (PCA)", 0.76, 26.62, 24.92}, {"LSTM-AE", 0.74, 29.96, 25.92},
      {"T-squared", 0.66, 19.21, 42.60},     {"LSTM-VAE", 0.56, 9.13, 55.03},
      {"Vanilla LSTM", 0.54, 12.54, 59.53},  {"Vanilla AE", 0.39, 2.59, 75.15},
      {"Isolation forest", 0.29, 2.56, 82.89},
  };
  return kBoard;
}

Result<EvalTable> evaluate(const std::string& path, const EvalOptions& options) {
  if (options.train_rows < 3) {
    return make_error(Errc::invalid_argument, "train_rows must be at least 3");
  }
  std::vector<DetectorSpec> specs = options.detectors.empty() ? default_detectors() : options.detectors;
  IOT_ASSIGN(std::vector<std::string> files, list_csv(path));
  EvalTable table;
  table.results.resize(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) table.results[i].name = specs[i].name;
  std::vector<LabelledSeries> series;
  for (const auto& f : files) {
    IOT_ASSIGN(LabelledSeries s, read_csv(f));
    if (s.labels.empty() || s.values.rows() <= options.train_rows) {
      table.skipped.push_back(f);
      continue;
    }
    series.push_back(std::move(s));
  }
  if (series.empty()) {
    return make_error(Errc::invalid_argument,
                      path + ": no labelled file with more than " +
                          std::to_string(options.train_rows) + " rows");
  }
  // Each file gets its own model, so files may have different columns.
  table.files = static_cast<int>(series.size());
  for (size_t d = 0; d < specs.size(); ++d) {
    for (const auto& s : series) {
      Status st = run_file(s, options.train_rows, specs[d], table.results[d]);
      if (!st) return std::unexpected(std::move(st.error()).context(specs[d].name + " on " + s.path));
    }
    table.results[d].model_bytes /= series.size();
  }
  return table;
}

std::string format_table(const EvalTable& table) {
  std::string out = "| detector | F1 | FAR % | MAR % | source |\n|---|---|---|---|---|\n";
  char buf[256];
  for (const auto& r : table.results) {
    std::snprintf(buf, sizeof buf, "| %s | %.3f | %.2f | %.2f | this run (%d files) |\n",
                  r.name.c_str(), r.counts.f1(), r.counts.far(), r.counts.mar(), table.files);
    out += buf;
  }
  for (const auto& p : leaderboard()) {
    std::snprintf(buf, sizeof buf, "| %s | %.2f | %.2f | %.2f | published |\n", p.name, p.f1,
                  p.far, p.mar);
    out += buf;
  }
  return out;
}

}  // namespace iotwins::analytics::skab
