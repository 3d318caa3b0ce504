// Checks on requests and configuration before anything is placed, so bad input changes nothing.
#pragma once

#include <cstddef>
#include <span>

#include "core/result.h"
#include "scheduler/types.h"

namespace iotwins::scheduler {

// Errors name the request: "request #3 'filter-1': affinity[0].weight: must be 1..100, got 0".
Status validate_request(const PlacementRequest& request, size_t index);
// Every request valid and request ids unique.
Status validate_requests(std::span<const PlacementRequest> requests);
Status validate_config(const SchedulerConfig& config);

}  // namespace iotwins::scheduler
