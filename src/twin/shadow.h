// The shadow merge rules, split out of document.cc: planning (limits and the resulting size,
// with nothing changed), merging state, stamping metadata and computing the delta.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "twin/limits.h"

namespace iotwins::twin::detail {

// Checks `update` (an object) against limits as it would merge into `section` (an object),
// and returns the compact JSON size of the merged section. `path` names the section
// ("state.desired"). Changes nothing.
Result<std::size_t> plan_merge(const nlohmann::json& section, const nlohmann::json& update,
                               std::string path, const Limits& limits);

// Merges `update` into `section`: null deletes, objects merge key by key, anything else
// replaces; objects left empty are removed and nothing is created empty. Appends the full
// dotted path of every changed value to `changed` (path starts as the section's path).
void merge_state(nlohmann::json& section, const nlohmann::json& update, std::string& path,
                 std::vector<std::string>& changed);

// Stamps `metadata` for every leaf `update` carried, given the merged `state`, so that metadata
// mirrors state with {"timestamp": ts_ms} at each leaf.
void merge_metadata(nlohmann::json& metadata, const nlohmann::json& update,
                    const nlohmann::json& state, int64_t ts_ms);

// delta = fields of desired missing from or different from reported; objects compared key by
// key, everything else (arrays included) whole. delta_metadata holds the desired metadata of
// exactly those fields.
void compute_delta(const nlohmann::json& desired, const nlohmann::json& reported,
                   const nlohmann::json& desired_metadata, nlohmann::json& delta,
                   nlohmann::json& delta_metadata);

}  // namespace iotwins::twin::detail
