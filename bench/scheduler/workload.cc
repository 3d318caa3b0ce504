#include "workload.h"

#include <string>

namespace iotwins::scheduler::bench {
namespace {

constexpr int64_t kMi = int64_t{1} << 20;
constexpr int64_t kGi = int64_t{1} << 30;

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9e3779b97f4a7c15ull + 1) {}
  uint64_t next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
  bool chance(uint32_t percent) { return below(100) < percent; }

 private:
  uint64_t s_;
};

}  // namespace

// 10 % cloud, 40 % edge, 50 % IoT; each IoT board hangs under an edge gateway and hosts two twins.
std::vector<NodeSnapshot> make_nodes(uint32_t count, uint64_t seed) {
  Rng rng(seed);
  std::vector<NodeSnapshot> nodes;
  nodes.reserve(count);
  const uint32_t clouds = count / 10, edges = count * 4 / 10;
  for (uint32_t i = 0; i < count; ++i) {
    NodeSnapshot n;
    n.id = "node-" + std::to_string(i);
    n.drivers = {"exec"};
    n.labels["zone"] = "z" + std::to_string(rng.below(10));
    n.labels["site"] = "s" + std::to_string(rng.below(100));
    if (i < clouds) {
      n.level = Level::cloud;
      n.arch = "x86_64";
      n.capacity = {int64_t{32 + 32 * rng.below(2)} * 1000, int64_t{128 + 128 * rng.below(2)} * kGi,
                    rng.chance(20) ? 4 : 0};
      n.has_oci = rng.chance(70);
      n.has_bubblewrap = true;
      if (i % 50 == 0) n.services = {"store"};
    } else if (i < clouds + edges) {
      n.level = Level::edge;
      n.arch = rng.chance(70) ? "x86_64" : "aarch64";
      n.capacity = {int64_t{4 << rng.below(3)} * 1000, int64_t{8 << rng.below(3)} * kGi, 0};
      n.has_oci = rng.chance(60);
      n.has_bubblewrap = rng.chance(80);
      n.services = {"broker"};
      if (rng.chance(30)) n.labels["ssd"] = "true";
    } else {
      n.level = Level::iot;
      n.arch = rng.chance(80) ? "aarch64" : "armv7l";
      n.parent = "node-" + std::to_string(clouds + rng.below(edges));
      n.capacity = {int64_t{1 + rng.below(4)} * 1000, int64_t{1 + rng.below(4)} * kGi, 0};
      n.has_bubblewrap = rng.chance(50);
      n.twins = {"twin-" + std::to_string(2 * i), "twin-" + std::to_string(2 * i + 1)};
    }
    // A few nodes in other states, as a live registry would have them.
    const uint32_t st = rng.below(100);
    n.state = st < 2 ? NodeState::unreachable : st < 3 ? NodeState::draining : st < 4 ? NodeState::down
                                                                               : NodeState::ready;
    n.allocated = {n.capacity.cpu_millis / 10 * rng.below(3), n.capacity.memory_bytes / 10 * rng.below(3), 0};
    nodes.push_back(std::move(n));
  }
  return nodes;
}

// Deployments of 1..12 replicas; the kind of deployment decides the constraints it uses.
std::vector<PlacementRequest> make_requests(uint32_t count, const std::vector<NodeSnapshot>& nodes, uint64_t seed) {
  Rng rng(seed ^ 0x5eed);
  std::vector<PlacementRequest> out;
  out.reserve(count);
  const uint32_t iot_first = static_cast<uint32_t>(nodes.size() / 10 + nodes.size() * 4 / 10);
  uint32_t deployment = 0;
  while (out.size() < count) {
    const uint32_t kind = rng.below(100);
    // Collectors run one or two per device; other deployments have up to 12 replicas.
    const uint32_t replicas = kind >= 40 && kind < 65 ? 1 + rng.below(2) : 1 + rng.below(12);
    const std::string dep = "dep-" + std::to_string(deployment++);
    // Devices near a dead gateway exist, but deployments are made for live ones.
    uint32_t twin_node = iot_first + rng.below(static_cast<uint32_t>(nodes.size()) - iot_first);
    while (nodes[twin_node].state != NodeState::ready) {
      twin_node = iot_first + rng.below(static_cast<uint32_t>(nodes.size()) - iot_first);
    }
    const std::string zone_a = "z" + std::to_string(rng.below(10)), zone_b = "z" + std::to_string(rng.below(10));
    for (uint32_t r = 0; r < replicas && out.size() < count; ++r) {
      PlacementRequest q;
      q.id = dep + "-" + std::to_string(r);
      q.deployment = dep;
      q.task_labels = {{"app", "a" + std::to_string(deployment % 50)}};
      if (kind < 40) {  // edge filters / inference
        q.group = "filter";
        q.level = Level::edge;
        q.resources = {100 + 50 * rng.below(8), (64 + 64 * rng.below(8)) * kMi, 0};
        q.selector = {LabelRequirement{"zone", LabelRequirement::Op::in, {zone_a, zone_b, "z0", "z5"}}};
        if (kind < 15) q.drivers = {"oci"};
        if (kind < 25) q.spread = Spread{"site", 50};
        q.affinity = {AffinityTerm{{dep, "filter", {}}, true, false, 40}};
      } else if (kind < 65) {  // device-side collectors next to a twin
        q.group = "collector";
        q.level = Level::iot;
        q.resources = {50 + 25 * rng.below(4), (16 + 16 * rng.below(4)) * kMi, 0};
        q.near = Near{Near::Kind::twin, "twin-" + std::to_string(2 * twin_node + r % 2),
                      kind < 50 ? Near::Scope::subtree : Near::Scope::node, true};
        if (kind < 55) q.arch = nodes[twin_node].arch;  // built for the board it runs on
      } else if (kind < 85) {  // cloud training and simulation
        q.group = "train";
        q.level = Level::cloud;
        q.resources = {250 + 250 * rng.below(8), (1 + rng.below(4)) * kGi, kind < 67 ? 1 : 0};
        q.drivers = {"bwrap"};
        q.near = Near{Near::Kind::service, "store", Near::Scope::node, false};
        q.affinity = {AffinityTerm{{dep, "train", {}}, true, kind < 75, 50}};
      } else {  // anywhere, by labels, with the deployment's other tasks
        q.group = "any";
        q.resources = {100 + 100 * rng.below(4), (128 + 128 * rng.below(4)) * kMi, 0};
        q.selector = {LabelRequirement{"zone", LabelRequirement::Op::not_in, {zone_a}, },
                      LabelRequirement{"ssd", LabelRequirement::Op::not_exists, {}}};
        q.affinity = {AffinityTerm{{dep, "", {}}, false, false, 30}};
        q.spread = Spread{"zone", 30};
      }
      out.push_back(std::move(q));
    }
  }
  return out;
}

}  // namespace iotwins::scheduler::bench
