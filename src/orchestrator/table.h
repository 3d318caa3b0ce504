// DeploymentTable: the orchestrator's desired state, persisted in the metadata store (SQLite):
// deployments, node instances, an event log per deployment and a revision per agent node.
// A node's desired task set is derived from the instances placed on it (starting, started or
// failed tasks), so it can never disagree with them; its revision is bumped in the same
// transaction as any write that changes that set.
//
// Not thread-safe by itself: the Orchestrator serialises calls. `transaction` runs a group of
// writes atomically on a view bound to the transaction.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "orchestrator/types.h"
#include "storage/database.h"

namespace iotwins::orchestrator {

class DeploymentTable {
 public:
  // Applies the schema migrations of component "orchestrator".
  static Result<std::unique_ptr<DeploymentTable>> open(storage::Database& db);
  explicit DeploymentTable(storage::Database& db) : db_(db) {}

  // Runs fn on a view bound to one transaction; committed when fn succeeds. The nodes whose
  // desired sets changed are added to `changed_nodes` only after the commit.
  Status transaction(const std::function<Status(DeploymentTable&)>& fn, std::set<std::string>* changed_nodes = nullptr);

  Result<std::string> next_deployment_id();  // "dep-1", "dep-2", ... never reused
  Status put(const Deployment& d);            // insert or replace
  Result<Deployment> get(const std::string& id);
  Result<std::vector<Deployment>> list();

  Result<std::vector<NodeInstance>> instances(const std::string& deployment);
  Result<std::vector<NodeInstance>> all_instances();
  Result<std::vector<NodeInstance>> instances_on(const std::string& node_id);
  Result<std::optional<NodeInstance>> find_task(const std::string& task_id);
  // Replaces every instance of a deployment; bumps the revision of each node whose set changed.
  Status replace_instances(const std::string& deployment, const std::vector<NodeInstance>& instances);
  Status update_instance(const NodeInstance& instance);

  Status add_event(const std::string& deployment, int64_t ts_ns, std::string kind, std::string node,
                   std::string message);
  // Events with seq > after, oldest first, at most limit.
  Result<std::vector<DeploymentEvent>> events(const std::string& deployment, int64_t after = 0, int limit = 1000);

  Result<DesiredSet> desired(const std::string& node_id);
  // Nodes changed by this view's writes (see transaction()).
  const std::set<std::string>& touched() const { return touched_; }

 private:
  Result<std::string> encoded_set(const std::string& node_id);
  Status write_instance(const NodeInstance& instance);
  Status bump_changed(const std::map<std::string, std::string>& before);

  storage::Database& db_;
  std::set<std::string> touched_;
};

}  // namespace iotwins::orchestrator
