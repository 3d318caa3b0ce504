// The input of a dry-run plan (`iotwins nodes plan FILE`): nodes, requests and optional
// scheduler config in one YAML or JSON document. Errors say where: "plan.yaml:12:7:
// requests[2].resources.memory: bad quantity '1Qi'". Unknown fields are errors, so typos
// do not silently drop constraints.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "scheduler/types.h"

namespace iotwins::scheduler {

struct PlanInput {
  SchedulerConfig config;
  std::vector<NodeSnapshot> nodes;
  std::vector<PlacementRequest> requests;
};

inline constexpr size_t kMaxPlanInputBytes = 64u << 20;

// `source` names the text in errors (a file name).
Result<PlanInput> parse_plan_input(std::string_view text, std::string_view source = "input");
// Reads a file of at most kMaxPlanInputBytes and parses it.
Result<PlanInput> load_plan_input(const std::string& path);

// A plan as lines for people: "t1 -> edge-3 (score 1.25)" and each failure's explanation.
std::string describe(const Plan& plan);

}  // namespace iotwins::scheduler
