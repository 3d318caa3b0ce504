// libFuzzer target: operator and detector configuration as JSON (a DataFilter's `operators`
// list, a detector's property block). Covers Params::from_json / list_from_json, every
// operator factory through Chain::from_json and every detector factory through make_detector;
// a chain that builds is fed a few samples, so options that pass validation but break the
// operator (a zero window, a negative band) are found too.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "analytics/detectors.h"
#include "analytics/operator.h"
#include "analytics/params.h"

using namespace iotwins::analytics;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto params = Params::from_json(text, "fuzz")) (void)make_detector(*params);
  (void)Params::list_from_json(text);
  auto chain = Chain::from_json(text);
  if (!chain) return 0;
  std::vector<Sample> out;
  static constexpr double kValues[] = {1.0, 1.0, -3.0, 1e300, NAN, 0.0, 2.5, -1e-300};
  int64_t ts = 1'700'000'000'000'000'000;
  for (int round = 0; round < 4; ++round) {
    for (double v : kValues) {
      ts += 250'000'000;  // 250 ms: crosses second and minute windows over the rounds
      chain->process({.twin = "pump-1", .property = round % 2 ? "temp" : "flow", .ts_ns = ts, .value = v}, out);
      if (out.size() > 1'000'000) return 0;  // an operator may legitimately emit a lot; stop early
    }
    chain->advance(ts + 3'600'000'000'000, out);
  }
  return 0;
}
