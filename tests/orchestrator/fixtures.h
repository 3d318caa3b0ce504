// Test fixtures: nodes of the three levels and the factory chain.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/node.h"

namespace iotwins::orchestrator::testing {

// iot-1, iot-2 (iot, under edge-1); edge-1 (plant=plant-1), edge-2 (plant=plant-2);
// cloud-1, cloud-2 (16 cores, 64 GiB). Every node ready, bubblewrap on the cloud, no containers.
std::vector<model::Node> three_levels();
model::Node node(const std::string& id, model::Level level, int cores, uint64_t memory_bytes,
                 std::map<std::string, std::string> labels = {}, std::string parent = "");
model::Node* find(std::vector<model::Node>& nodes, const std::string& id);

// examples/chains/factory.yaml
std::string factory_yaml();

}  // namespace iotwins::orchestrator::testing
