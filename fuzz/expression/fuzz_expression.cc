// libFuzzer target: analytics expressions (derived properties and conditions in TOSCA
// templates). A parsed expression is evaluated on a fixed-size stack sized at parse time, so
// evaluation is part of the target: a wrong stack bound shows up as an ASan overflow.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "analytics/expr.h"

using iotwins::analytics::Expression;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto expr = Expression::parse(text);
  if (!expr) return 0;
  if (text.size() > Expression::kMaxLength) std::abort();  // the length limit must hold
  // Values chosen to reach the edges: zero (division, log), negatives (sqrt), NaN, infinity.
  static constexpr double kValues[] = {0.0, -1.5, 2.0, NAN, INFINITY, 1e308};
  std::vector<double> values(expr->variables().size());
  for (double v : kValues) {
    for (size_t i = 0; i < values.size(); ++i) values[i] = (i % 2 == 0) ? v : -v;
    (void)expr->evaluate(values);
  }
  // Parsing the text again gives the same variables: parsing has no hidden state.
  auto again = Expression::parse(expr->text());
  if (!again || again->variables() != expr->variables()) std::abort();
  return 0;
}
