// Aggregated views over the twin tree, e.g. a line's health from its machines' or the mean
// temperature of a site's pumps.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "twin/document.h"
#include "twin/hierarchy.h"

namespace iotwins::twin {

enum class AggregateKind {
  count,         // twins whose field has a value
  sum, mean, min, max,  // over numeric values
  worst_health,  // "ok" < "warning" < "critical": the worst string value present
};

Result<AggregateKind> parse_aggregate_kind(std::string_view name);  // "mean", "worst_health", …

enum class AggregateScope { children, descendants };

struct AggregateRequest {
  std::string root;      // the twin whose subtree is aggregated (itself excluded)
  std::string field;     // a query field: "reported.health", "attributes.power.kw"
  AggregateKind kind = AggregateKind::mean;
  AggregateScope scope = AggregateScope::descendants;
};

struct AggregateResult {
  nlohmann::json value;      // null when no twin contributed
  std::size_t count = 0;     // twins that contributed a value
  std::size_t missing = 0;   // twins in scope without a usable value (absent, wrong type)
};

// Returns the document of a twin, or nullptr when it has none (counted as missing).
using DocLookup = std::function<const TwinDocument*(std::string_view id)>;

Result<AggregateResult> aggregate(const Hierarchy& hierarchy, const DocLookup& lookup,
                                  const AggregateRequest& request);

}  // namespace iotwins::twin
