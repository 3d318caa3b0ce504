// Small snapshots and requests for the scheduler tests.
#pragma once

#include <string>
#include <vector>

#include "scheduler/types.h"

namespace iotwins::scheduler::testing_support {

inline constexpr int64_t kGi = int64_t{1} << 30;

inline NodeSnapshot node(std::string id, Level level = Level::edge, int64_t cpu = 4000, int64_t mem = 8 * kGi) {
  NodeSnapshot n;
  n.id = std::move(id);
  n.level = level;
  n.arch = "x86_64";
  n.capacity = {cpu, mem, 0};
  return n;
}

inline PlacementRequest request(std::string id, int64_t cpu = 500, int64_t mem = kGi) {
  PlacementRequest r;
  r.id = std::move(id);
  r.deployment = "d1";
  r.group = "g1";
  r.resources = {cpu, mem, 0};
  return r;
}

inline LabelRequirement req(const std::string& text) { return *parse_label_requirement(text); }

}  // namespace iotwins::scheduler::testing_support
