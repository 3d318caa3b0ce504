// The SKAB outlier-detection protocol (data/skab/SOURCE.md): for every labelled file, fit a
// fresh detector on its first `train_rows` rows, predict every later row, and sum TP/FP/FN/TN
// over all files' test rows; F1 = TP / (TP + (FN + FP) / 2), FAR = FP / (FP + TN) * 100,
// MAR = FN / (FN + TP) * 100. Labels are read only for the test rows' confusion counts.
#pragma once

#include <string>
#include <vector>

#include "analytics/params.h"
#include "core/result.h"

namespace iotwins::analytics::skab {

struct DetectorSpec {
  std::string name;  // shown in the table
  Params params;     // `type` plus the detector's options (see detectors.h)
  std::string id;    // short, for choosing it on a command line ("dpca-slow-diff")
};

struct EvalOptions {
  int train_rows = 400;
  std::vector<DetectorSpec> detectors;  // empty: default_detectors()
};

struct Counts {
  long long tp = 0, fp = 0, fn = 0, tn = 0;
  double f1() const;
  double far() const;  // percent
  double mar() const;  // percent
};

struct DetectorResult {
  std::string name;
  Counts counts;
  double fit_seconds = 0;    // all files
  double score_seconds = 0;  // all files' test rows
  long long scored_rows = 0;
  size_t model_bytes = 0;    // mean serialized size over files
};

struct EvalTable {
  int files = 0;               // labelled files evaluated
  std::vector<std::string> skipped;  // files without labels or with too few rows
  std::vector<DetectorResult> results;
};

struct PublishedScore {
  const char* name;
  double f1, far, mar;
};
// The published leaderboard (SOURCE.md), best first.
const std::vector<PublishedScore>& leaderboard();

// The detectors evaluated by default, with their fixed hyper-parameters.
std::vector<DetectorSpec> default_detectors();

// Runs the protocol over a directory or one CSV file.
Result<EvalTable> evaluate(const std::string& path, const EvalOptions& options);

// The results beside the published leaderboard, as a Markdown table.
std::string format_table(const EvalTable& table);

}  // namespace iotwins::analytics::skab
