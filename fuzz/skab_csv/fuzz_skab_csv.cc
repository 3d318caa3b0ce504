// libFuzzer target: labelled series in SKAB's `;`-separated CSV format (training and
// evaluation data uploaded by users). Checks that an accepted file is consistent: one time and
// one row of finite values per line, and a 0/1 label per row when labels are present.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "analytics/skab_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto series = iotwins::analytics::skab::parse_csv(text, "fuzz.csv");
  if (!series) return 0;
  const auto rows = static_cast<size_t>(series->values.rows());
  if (static_cast<size_t>(series->values.cols()) != series->columns.size()) std::abort();
  if (series->times.size() != rows) std::abort();
  if (!series->labels.empty() && series->labels.size() != rows) std::abort();
  for (uint8_t label : series->labels) {
    if (label > 1) std::abort();
  }
  return 0;
}
