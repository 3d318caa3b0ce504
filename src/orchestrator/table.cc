#include "orchestrator/table.h"

#include <nlohmann/json.hpp>

#include <map>
#include <tuple>

#include "storage/migrations.h"

namespace iotwins::orchestrator {
namespace {

using nlohmann::json;
using storage::Value;

const std::vector<storage::Migration> kMigrations = {
    {1, "deployments, node instances, events, node revisions",
     "CREATE TABLE orch_deployments ("
     " id TEXT PRIMARY KEY, template TEXT NOT NULL, inputs TEXT NOT NULL, status TEXT NOT NULL,"
     " reason TEXT NOT NULL, created_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL,"
     " revision INTEGER NOT NULL);"
     "CREATE TABLE orch_instances ("
     " deployment TEXT NOT NULL, name TEXT NOT NULL, idx INTEGER NOT NULL, unit TEXT NOT NULL,"
     " node_id TEXT NOT NULL, layer INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,"
     " task_id TEXT NOT NULL, spec TEXT NOT NULL, attributes TEXT NOT NULL,"
     " PRIMARY KEY (deployment, name, idx));"
     "CREATE INDEX orch_instances_node ON orch_instances(node_id);"
     "CREATE INDEX orch_instances_task ON orch_instances(task_id);"
     "CREATE TABLE orch_events ("
     " seq INTEGER PRIMARY KEY AUTOINCREMENT, deployment TEXT NOT NULL, ts_ns INTEGER NOT NULL,"
     " kind TEXT NOT NULL, node TEXT NOT NULL, message TEXT NOT NULL);"
     "CREATE INDEX orch_events_deployment ON orch_events(deployment, seq);"
     "CREATE TABLE orch_node_revisions (node_id TEXT PRIMARY KEY, revision INTEGER NOT NULL);"
     "CREATE TABLE orch_sequence (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"},
    {2, "node instances: the spec a rolling update gives next",
     "ALTER TABLE orch_instances ADD COLUMN next_spec TEXT NOT NULL DEFAULT ''"},
    {3, "deployments: the group they belong to (existing ones: default)",
     "ALTER TABLE orch_deployments ADD COLUMN group_name TEXT NOT NULL DEFAULT 'default'"},
};

constexpr const char* kDeploymentColumns =
    "id, template, inputs, status, reason, created_ns, updated_ns, revision, group_name";

constexpr const char* kInstanceColumns =
    "deployment, name, idx, unit, node_id, layer, state, reason, task_id, spec, attributes, next_spec";

// Tasks an agent must run: everything placed on it that is not waiting for its layer or removed.
constexpr const char* kInSet = "state IN ('starting', 'started', 'error') AND task_id != ''";

Result<Deployment> deployment_from(const storage::Row& r) {
  Deployment d;
  d.id = r.text(0);
  d.template_text = r.text(1);
  d.inputs_json = r.text(2);
  IOT_ASSIGN(auto status, parse_status(r.text(3)));
  d.phase = status.first;
  d.progress = status.second;
  d.reason = r.text(4);
  d.created_ns = r.integer(5);
  d.updated_ns = r.integer(6);
  d.revision = r.integer(7);
  d.group = r.text(8);
  return d;
}

Result<NodeInstance> instance_from(const storage::Row& r) {
  NodeInstance n;
  n.deployment = r.text(0);
  n.name = r.text(1);
  n.index = static_cast<int>(r.integer(2));
  n.unit = r.text(3);
  n.node_id = r.text(4);
  n.layer = static_cast<int>(r.integer(5));
  IOT_ASSIGN(n.state, parse_instance_state(r.text(6)));
  n.reason = r.text(7);
  n.task_id = r.text(8);
  std::string where = "orchestrator table: instance " + n.deployment + "/" + n.name + "[" + std::to_string(n.index) + "]";
  for (auto [column, field, out] : {std::tuple{9, "spec", &n.spec}, std::tuple{11, "next_spec", &n.next_spec}}) {
    if (r.text(column).empty()) continue;
    auto spec = runtime::decode_task_spec(r.text(column));
    if (!spec) return make_error(Errc::corruption, where + ": " + field + ": " + spec.error().message());
    *out = std::move(*spec);
  }
  json attrs = json::parse(r.text(10), nullptr, false);
  if (attrs.is_discarded() || !attrs.is_object()) return make_error(Errc::corruption, where + ": attributes are not a JSON object");
  for (auto it = attrs.begin(); it != attrs.end(); ++it) {
    if (!it.value().is_string()) return make_error(Errc::corruption, where + ": attribute " + it.key() + " is not a string");
    n.attributes[it.key()] = it.value().get<std::string>();
  }
  return n;
}

Result<std::vector<NodeInstance>> instances_from(Result<std::vector<storage::Row>> rows) {
  if (!rows) return std::unexpected(rows.error());
  std::vector<NodeInstance> out;
  for (const auto& r : *rows) {
    IOT_ASSIGN(auto n, instance_from(r));
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<DeploymentTable>> DeploymentTable::open(storage::Database& db) {
  IOT_TRY(storage::migrate(db, "orchestrator", kMigrations));
  return std::make_unique<DeploymentTable>(db);
}

Status DeploymentTable::transaction(const std::function<Status(DeploymentTable&)>& fn,
                                    std::set<std::string>* changed_nodes) {
  std::set<std::string> touched;
  IOT_TRY(db_.transaction([&](storage::Database& tx) -> Status {
    DeploymentTable view(tx);
    IOT_TRY(fn(view));
    touched = view.touched_;
    return ok();
  }));
  if (changed_nodes) changed_nodes->insert(touched.begin(), touched.end());
  return ok();
}

Result<std::string> DeploymentTable::next_deployment_id() {
  IOT_TRY(db_.execute("INSERT INTO orch_sequence(name, value) VALUES ('deployment', 1) "
                      "ON CONFLICT(name) DO UPDATE SET value = value + 1"));
  IOT_ASSIGN(auto rows, db_.query("SELECT value FROM orch_sequence WHERE name = 'deployment'"));
  return "dep-" + std::to_string(rows.at(0).integer(0));
}

Status DeploymentTable::put(const Deployment& d) {
  IOT_TRY(db_.execute(std::string("INSERT OR REPLACE INTO orch_deployments (") + kDeploymentColumns +
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                      {d.id, d.template_text, d.inputs_json, d.status(), d.reason, d.created_ns, d.updated_ns,
                       d.revision, d.group}));
  return ok();
}

Result<Deployment> DeploymentTable::get(const std::string& id) {
  IOT_ASSIGN(auto rows,
             db_.query(std::string("SELECT ") + kDeploymentColumns + " FROM orch_deployments WHERE id = ?1", {id}));
  if (rows.empty()) return make_error(Errc::not_found, "deployment " + id + " does not exist");
  return deployment_from(rows[0]);
}

Result<std::vector<Deployment>> DeploymentTable::list() {
  IOT_ASSIGN(auto rows, db_.query(std::string("SELECT ") + kDeploymentColumns +
                                  " FROM orch_deployments ORDER BY created_ns, id"));
  std::vector<Deployment> out;
  for (const auto& r : rows) {
    IOT_ASSIGN(auto d, deployment_from(r));
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<NodeInstance>> DeploymentTable::instances(const std::string& deployment) {
  return instances_from(db_.query(std::string("SELECT ") + kInstanceColumns +
                                      " FROM orch_instances WHERE deployment = ?1 ORDER BY layer, name, idx",
                                  {deployment}));
}

Result<std::vector<NodeInstance>> DeploymentTable::all_instances() {
  return instances_from(db_.query(std::string("SELECT ") + kInstanceColumns +
                                  " FROM orch_instances ORDER BY deployment, layer, name, idx"));
}

Result<std::vector<NodeInstance>> DeploymentTable::instances_on(const std::string& node_id) {
  return instances_from(db_.query(std::string("SELECT ") + kInstanceColumns +
                                      " FROM orch_instances WHERE node_id = ?1 ORDER BY deployment, layer, name, idx",
                                  {node_id}));
}

Result<std::optional<NodeInstance>> DeploymentTable::find_task(const std::string& task_id) {
  IOT_ASSIGN(auto found, instances_from(db_.query(std::string("SELECT ") + kInstanceColumns +
                                                      " FROM orch_instances WHERE task_id = ?1 AND task_id != ''",
                                                  {task_id})));
  if (found.empty()) return std::optional<NodeInstance>();
  return std::optional<NodeInstance>(std::move(found[0]));
}

Result<std::string> DeploymentTable::encoded_set(const std::string& node_id) {
  IOT_ASSIGN(auto rows, db_.query(std::string("SELECT spec FROM orch_instances WHERE node_id = ?1 AND ") + kInSet +
                                      " ORDER BY task_id",
                                  {node_id}));
  std::string out;
  for (const auto& r : rows) out += r.text(0) + "\n";
  return out;
}

Status DeploymentTable::write_instance(const NodeInstance& n) {
  json attrs = json::object();
  for (const auto& [k, v] : n.attributes) attrs[k] = v;
  IOT_TRY(db_.execute(std::string("INSERT OR REPLACE INTO orch_instances (") + kInstanceColumns +
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                      {n.deployment, n.name, int64_t{n.index}, n.unit, n.node_id, int64_t{n.layer},
                       std::string(to_string(n.state)), n.reason, n.task_id,
                       n.spec ? runtime::encode_task_spec(*n.spec) : std::string(), attrs.dump(),
                       n.next_spec ? runtime::encode_task_spec(*n.next_spec) : std::string()}));
  return ok();
}

Status DeploymentTable::bump_changed(const std::map<std::string, std::string>& before) {
  for (const auto& [node, old_set] : before) {
    if (node.empty()) continue;
    IOT_ASSIGN(auto now, encoded_set(node));
    if (now == old_set) continue;
    IOT_TRY(db_.execute("INSERT INTO orch_node_revisions(node_id, revision) VALUES (?1, 1) "
                        "ON CONFLICT(node_id) DO UPDATE SET revision = revision + 1",
                        {node}));
    touched_.insert(node);
  }
  return ok();
}

Status DeploymentTable::replace_instances(const std::string& deployment, const std::vector<NodeInstance>& instances) {
  std::map<std::string, std::string> before;
  IOT_ASSIGN(auto old, this->instances(deployment));
  for (const auto& n : old) before[n.node_id];
  for (const auto& n : instances) before[n.node_id];
  for (auto& [node, set] : before) {
    IOT_ASSIGN(set, encoded_set(node));
  }
  IOT_TRY(db_.execute("DELETE FROM orch_instances WHERE deployment = ?1", {deployment}));
  for (const auto& n : instances) IOT_TRY(write_instance(n));
  return bump_changed(before);
}

Status DeploymentTable::update_instance(const NodeInstance& n) {
  std::map<std::string, std::string> before;
  IOT_ASSIGN(auto rows, db_.query("SELECT node_id FROM orch_instances WHERE deployment = ?1 AND name = ?2 AND idx = ?3",
                                  {n.deployment, n.name, int64_t{n.index}}));
  if (!rows.empty()) before[rows[0].text(0)];
  before[n.node_id];
  for (auto& [node, set] : before) {
    IOT_ASSIGN(set, encoded_set(node));
  }
  IOT_TRY(write_instance(n));
  return bump_changed(before);
}

Status DeploymentTable::add_event(const std::string& deployment, int64_t ts_ns, std::string kind, std::string node,
                                  std::string message) {
  IOT_TRY(db_.execute("INSERT INTO orch_events(deployment, ts_ns, kind, node, message) VALUES (?1, ?2, ?3, ?4, ?5)",
                      {deployment, ts_ns, std::move(kind), std::move(node), std::move(message)}));
  return ok();
}

Result<std::vector<DeploymentEvent>> DeploymentTable::events(const std::string& deployment, int64_t after, int limit) {
  IOT_ASSIGN(auto rows, db_.query("SELECT seq, deployment, ts_ns, kind, node, message FROM orch_events "
                                  "WHERE deployment = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                                  {deployment, after, int64_t{limit}}));
  std::vector<DeploymentEvent> out;
  for (const auto& r : rows) {
    out.push_back({r.integer(0), r.text(1), r.integer(2), r.text(3), r.text(4), r.text(5)});
  }
  return out;
}

Result<DesiredSet> DeploymentTable::desired(const std::string& node_id) {
  DesiredSet set;
  set.node_id = node_id;
  IOT_ASSIGN(auto rev, db_.query("SELECT revision FROM orch_node_revisions WHERE node_id = ?1", {node_id}));
  if (!rev.empty()) set.revision = rev[0].integer(0);
  IOT_ASSIGN(auto rows, db_.query(std::string("SELECT spec FROM orch_instances WHERE node_id = ?1 AND ") + kInSet +
                                      " ORDER BY task_id",
                                  {node_id}));
  for (const auto& r : rows) {
    auto spec = runtime::decode_task_spec(r.text(0));
    if (!spec) return make_error(Errc::corruption, "orchestrator table: desired set of " + node_id + ": " + spec.error().message());
    set.tasks.push_back(std::move(*spec));
  }
  return set;
}

}  // namespace iotwins::orchestrator
