// Reading labelled series in SKAB's format: `;`-separated, a header, a datetime column first,
// numeric feature columns, an optional `anomaly` label column (0/1) and an optional
// `changepoint` column (ignored: it labels the changepoint task, not the outlier task).
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "core/result.h"

namespace iotwins::analytics::skab {

struct LabelledSeries {
  std::string path;
  std::vector<std::string> columns;  // feature names, in order
  std::vector<std::string> times;    // the datetime column as written
  Eigen::MatrixXd values;            // rows x columns
  std::vector<uint8_t> labels;       // empty when the file has no `anomaly` column
};

// Parses one file's text; errors name `path`, line and column.
Result<LabelledSeries> parse_csv(std::string_view text, const std::string& path);
Result<LabelledSeries> read_csv(const std::string& path);

// The CSV files under `path` (itself if it is a file; recursively, sorted, if a directory).
Result<std::vector<std::string>> list_csv(const std::string& path);

}  // namespace iotwins::analytics::skab
