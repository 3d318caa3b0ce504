#include "resource/node_registry.h"

#include <nlohmann/json.hpp>

#include <random>

#include "core/log.h"
#include "model/json.h"
#include "storage/migrations.h"

namespace iotwins::resource {
namespace {

const std::vector<storage::Migration> kMigrations = {
    {1, "nodes table",
     "CREATE TABLE nodes ("
     " id TEXT PRIMARY KEY,"
     " level TEXT NOT NULL,"
     " draining INTEGER NOT NULL DEFAULT 0,"
     " registered_ns INTEGER NOT NULL,"
     " last_seen_ns INTEGER NOT NULL,"
     " doc TEXT NOT NULL)"},  // the node as JSON: facts and labels evolve without migrations
};

spdlog::logger& logger() {
  static auto& log = log::get("resource");
  return log;
}

}  // namespace

Result<std::unique_ptr<NodeRegistry>> NodeRegistry::open(storage::Database& db, const Clock& clock,
                                                         RegistryOptions options) {
  IOT_TRY(storage::migrate(db, "resource", kMigrations));
  std::unique_ptr<NodeRegistry> reg(new NodeRegistry(db, clock, options));
  IOT_TRY(reg->load());
  return reg;
}

Status NodeRegistry::load() {
  IOT_ASSIGN(auto rows, db_.query("SELECT id, draining, doc FROM nodes ORDER BY id"));
  for (const auto& row : rows) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(row.text(2));
    } catch (const nlohmann::json::exception& e) {
      return make_error(Errc::corruption, "node " + row.text(0) + " in the store: " + e.what());
    }
    auto node = model::node_from_json(j);
    if (!node) return make_error(Errc::corruption, "node " + row.text(0) + ": " + node.error().message());
    std::string id = node->id;  // not nodes_[node->id] = …move(*node): the right side runs first
    nodes_[id] = Entry{std::move(*node), row.integer(1) != 0};
  }
  logger().info("node registry loaded {} nodes", nodes_.size());
  return ok();
}

Status NodeRegistry::persist(const model::Node& node, bool draining) {
  std::string doc = model::to_json(node).dump();
  IOT_TRY(db_.execute(
          "INSERT INTO nodes (id, level, draining, registered_ns, last_seen_ns, doc) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET level = excluded.level, "
          "draining = excluded.draining, last_seen_ns = excluded.last_seen_ns, doc = excluded.doc",
          {node.id, std::string(model::to_string(node.level)), int64_t{draining ? 1 : 0},
           node.registered_ns, node.last_seen_ns, doc}));
  return ok();
}

model::Node NodeRegistry::with_state(model::Node node) const {
  auto it = nodes_.find(node.id);
  if (it != nodes_.end() && it->second.draining) {
    node.state = model::NodeState::draining;
    return node;
  }
  int64_t silent_ns = clock_.now_ns() - node.last_seen_ns;
  auto ms = std::chrono::milliseconds(silent_ns / 1'000'000);
  if (ms >= options_.down_after) {
    node.state = model::NodeState::down;
  } else if (ms >= options_.unreachable_after) {
    node.state = model::NodeState::unreachable;
  } else {
    node.state = model::NodeState::ready;
  }
  return node;
}

std::string NodeRegistry::new_id(const model::NodeRegistration& reg) const {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  for (;;) {
    std::string id(model::to_string(reg.level));
    id += '-';
    uint64_t r = rng();
    for (int i = 0; i < 12; ++i) id += hex[(r >> (i * 4)) & 15];
    if (!nodes_.contains(id)) return id;
  }
}

Result<model::Node> NodeRegistry::register_node(const model::NodeRegistration& reg,
                                                const std::optional<std::string>& group) {
  if (group && group->empty()) return make_error(Errc::invalid_argument, "group: empty; omit it to keep the node's");
  std::lock_guard lock(mu_);
  int64_t now = clock_.now_ns();
  model::Node node;
  bool draining = false;
  auto it = reg.id.empty() ? nodes_.end() : nodes_.find(reg.id);
  if (it != nodes_.end()) {
    node = it->second.node;
    draining = it->second.draining;
  } else {
    node.id = reg.id.empty() ? new_id(reg) : reg.id;
    node.registered_ns = now;
  }
  if (!reg.parent.empty() && reg.parent == node.id) {
    return make_error(Errc::invalid_argument, "parent: a node cannot be its own parent");
  }
  node.name = reg.name.empty() ? reg.facts.hostname : reg.name;
  node.level = reg.level;
  node.parent = reg.parent;
  node.labels = reg.labels;
  node.facts = reg.facts;
  node.agent_version = reg.agent_version;
  node.ingest_url = reg.ingest_url;
  if (group) node.group = *group;
  node.last_seen_ns = now;
  IOT_TRY(persist(node, draining));
  bool known = it != nodes_.end();
  nodes_[node.id] = Entry{node, draining};
  logger().info("node {} ({}, {}, group {}) {}", node.id, node.name, model::to_string(node.level), node.group,
                known ? "registered again" : "registered");
  return with_state(node);
}

Result<model::Node> NodeRegistry::heartbeat(const std::string& id, const model::Heartbeat& hb) {
  model::Node stored;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return make_error(Errc::not_found, "node " + id + " is not registered");
    model::Node node = it->second.node;
    auto before = with_state(node).state;
    node.last_seen_ns = clock_.now_ns();
    node.kpis = hb.kpis;
    IOT_TRY(persist(node, it->second.draining));
    it->second.node = node;
    if (before == model::NodeState::unreachable || before == model::NodeState::down) {
      logger().info("node {} is back after being {}", id, model::to_string(before));
    }
    stored = with_state(node);
  }
  if (observer_) observer_(stored);
  return stored;
}

Result<model::Node> NodeRegistry::get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return make_error(Errc::not_found, "node " + id + " is not registered");
  return with_state(it->second.node);
}

std::vector<model::Node> NodeRegistry::list() const {
  std::lock_guard lock(mu_);
  std::vector<model::Node> out;
  out.reserve(nodes_.size());
  for (const auto& [id, e] : nodes_) out.push_back(with_state(e.node));
  return out;
}

Result<model::Node> NodeRegistry::set_draining(const std::string& id, bool draining) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return make_error(Errc::not_found, "node " + id + " is not registered");
  IOT_TRY(persist(it->second.node, draining));
  it->second.draining = draining;
  logger().info("node {} {}", id, draining ? "draining" : "no longer draining");
  return with_state(it->second.node);
}

Status NodeRegistry::remove(const std::string& id) {
  std::lock_guard lock(mu_);
  if (!nodes_.contains(id)) return make_error(Errc::not_found, "node " + id + " is not registered");
  IOT_TRY(db_.execute("DELETE FROM nodes WHERE id = ?1", {id}));
  nodes_.erase(id);
  return ok();
}

}  // namespace iotwins::resource
