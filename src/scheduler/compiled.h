// A placement request translated to the State's ids once, so filters and scorers compare
// integers. One CompiledRequest is reused across requests to keep the hot loop allocation-free.
#pragma once

#include <cstdint>
#include <vector>

#include "scheduler/state.h"
#include "scheduler/types.h"

namespace iotwins::scheduler::detail {

inline constexpr Id kAny = 0xfffffffeu;  // an unset selector field

struct CompiledRequirement {
  Id key = kNoId;
  LabelRequirement::Op op = LabelRequirement::Op::exists;
  uint32_t values_begin = 0, values_end = 0;  // into CompiledRequest::values
};

struct CompiledTerm {
  Id deployment = kAny, group = kAny;
  uint32_t labels_begin = 0, labels_end = 0;  // into CompiledRequest::term_requirements
  bool anti = false, required = false;
  int weight = 0;
};

// Bits of CompiledRequest::near_mark.
inline constexpr uint8_t kNearHost = 1;  // the node hosts the twin or service
inline constexpr uint8_t kNearRoot = 2;  // the node is the edge subtree root of such a host

struct CompiledRequest {
  const PlacementRequest* source = nullptr;
  bool any_level = true;
  Level level = Level::edge;
  bool any_arch = true;
  Id arch = kNoId;
  uint64_t drivers = 0;
  bool unknown_driver = false;  // a driver no node has
  Resources resources;
  std::vector<CompiledRequirement> selector;
  std::vector<CompiledRequirement> term_requirements;
  std::vector<Id> values;
  std::vector<CompiledTerm> terms;
  bool has_required_terms = false;
  int preferred_weight = 0;  // sum over preferred terms
  Id deployment = kNoId, group = kNoId;
  std::vector<LabelPair> task_labels;
  SpreadDomains* spread = nullptr;  // set when the request spreads
  double spread_weight = 0;
  bool has_near = false;
  bool near_required = false;
  Near::Scope near_scope = Near::Scope::subtree;
  std::vector<uint32_t> near_hosts;
  std::vector<uint32_t> near_roots;
  const uint8_t* near_mark = nullptr;  // per node, kNearHost | kNearRoot
  uint64_t tie_seed = 0;
};

// Fills `out` (reusing its buffers) from `request`; interns the request's own names (deployment,
// group, task labels) because the placement records them. `near_mark` is a zeroed array of one
// byte per node that compile marks and the caller clears with clear_marks.
void compile(const PlacementRequest& request, State& state, uint64_t seed, std::vector<uint8_t>& near_mark,
             CompiledRequest& out);
void clear_marks(const CompiledRequest& request, const State& state, std::vector<uint8_t>& near_mark);

// Whether a label set (node's or task's) satisfies one requirement. Inline: it runs per
// candidate node and requirement.
inline bool matches(const CompiledRequest& request, const CompiledRequirement& r, const LabelPair* begin,
                    const LabelPair* end) {
  Id value = kNoId;
  if (r.key != kNoId) {
    for (const LabelPair* p = begin; p != end; ++p) {
      if (p->key == r.key) {
        value = p->value;
        break;
      }
    }
  }
  const bool has = value != kNoId;
  // A requested value no node or task carries is kNoId; `has` keeps it from matching a missing label.
  bool in_values = false;
  if (has) {
    for (uint32_t i = r.values_begin; i < r.values_end && !in_values; ++i) in_values = request.values[i] == value;
  }
  switch (r.op) {
    case LabelRequirement::Op::eq:
    case LabelRequirement::Op::in: return in_values;
    case LabelRequirement::Op::ne:
    case LabelRequirement::Op::not_in: return !in_values;
    case LabelRequirement::Op::exists: return has;
    case LabelRequirement::Op::not_exists: return !has;
  }
  return false;
}

}  // namespace iotwins::scheduler::detail
