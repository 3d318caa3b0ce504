// A synthetic continuum for the scheduler benchmark: IoT boards under edge gateways under the
// cloud, with zones, sites, drivers, twins and a request mix that uses every constraint.
#pragma once

#include <cstdint>
#include <vector>

#include "scheduler/types.h"

namespace iotwins::scheduler::bench {

std::vector<NodeSnapshot> make_nodes(uint32_t count, uint64_t seed);
std::vector<PlacementRequest> make_requests(uint32_t count, const std::vector<NodeSnapshot>& nodes, uint64_t seed);

}  // namespace iotwins::scheduler::bench
