#include "fixtures.h"

#include "core/fs.h"

namespace iotwins::orchestrator::testing {

model::Node node(const std::string& id, model::Level level, int cores, uint64_t memory_bytes,
                 std::map<std::string, std::string> labels, std::string parent) {
  model::Node n;
  n.id = id;
  n.name = id;
  n.level = level;
  n.parent = std::move(parent);
  n.labels = std::move(labels);
  n.facts.arch = "x86_64";
  n.facts.cores = cores;
  n.facts.memory_bytes = memory_bytes;
  n.state = model::NodeState::ready;
  return n;
}

std::vector<model::Node> three_levels() {
  constexpr uint64_t GiB = 1ull << 30;
  std::vector<model::Node> nodes = {
      node("iot-1", model::Level::iot, 1, GiB / 2, {}, "edge-1"),
      node("iot-2", model::Level::iot, 1, GiB / 2, {}, "edge-1"),
      node("edge-1", model::Level::edge, 4, 4 * GiB, {{"plant", "plant-1"}}),
      node("edge-2", model::Level::edge, 4, 4 * GiB, {{"plant", "plant-2"}}),
      node("cloud-1", model::Level::cloud, 16, 64 * GiB),
      node("cloud-2", model::Level::cloud, 16, 64 * GiB),
  };
  for (auto& n : nodes) n.facts.has_bubblewrap = n.level == model::Level::cloud;
  return nodes;
}

model::Node* find(std::vector<model::Node>& nodes, const std::string& id) {
  for (auto& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

std::string factory_yaml() {
  auto text = PosixFileSystem::instance().read_file(std::string(IOTWINS_SOURCE_DIR) + "/examples/chains/factory.yaml");
  return text ? *text : std::string();
}

}  // namespace iotwins::orchestrator::testing
