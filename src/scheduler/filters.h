// Feasibility: which nodes may take a request. One function decides for both the fast search and
// the explanation of a failure, so the two can never disagree.
#pragma once

#include <cstdint>
#include <string_view>

#include "scheduler/compiled.h"
#include "scheduler/state.h"

namespace iotwins::scheduler::detail {

// In the order they are checked; a rejected node counts under the first filter it fails.
enum class Reject : uint8_t {
  none,
  draining,
  unreachable,
  down,
  level,
  arch,
  driver,
  labels,
  near,
  cpu,
  memory,
  gpus,
  anti_affinity,
  affinity,
  count_,
};
inline constexpr int kRejectCount = static_cast<int>(Reject::count_);

// "level mismatch", "insufficient memory", ...
std::string_view reject_name(Reject reason);

Reject check(const State& state, uint32_t node, const CompiledRequest& request);

// Whether the node runs a task the term selects.
bool node_has_match(const State& state, uint32_t node, const CompiledRequest& request, const CompiledTerm& term);

}  // namespace iotwins::scheduler::detail
