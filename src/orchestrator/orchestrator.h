// The service orchestrator: frontend (create, update, delete deployments from TOSCA templates),
// table (DeploymentTable, everything persisted before a call returns) and backend (a
// level-triggered reconciler driven by agents' task events and by the registry's node states).
//
//   auto orch = Orchestrator::open(db, clock, [&] { return registry.list(); });
//   auto d = orch->create(yaml, R"({"plant": "p-7"})");     // CREATE_IN_PROGRESS or CREATE_FAILED
//   orch->desired("edge-1");                                 // the TaskSpecs an agent must run
//   orch->report("edge-1", task_event);                      // started, exited, restart_storm ...
//   orch->reconcile();                                       // node down/draining → re-place
//
// Restart-safe: no state lives only in memory; after a crash, open() + reconcile() resume every
// deployment in progress where it stopped. Thread-safe: one mutex serialises every call.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "model/node.h"
#include "orchestrator/planner.h"
#include "orchestrator/table.h"
#include "orchestrator/types.h"
#include "runtime/supervisor.h"
#include "storage/database.h"
#include "tosca/validate.h"

namespace iotwins::orchestrator {

struct OrchestratorOptions {
  tosca::ValidateOptions validate;  // import map, limits
  std::string base_dir = ".";       // relative imports of submitted templates resolve from here
};

// The registry's current nodes (NodeRegistry::list()), with their derived states.
using NodeLister = std::function<std::vector<model::Node>()>;
// Called after a commit that changed a node's desired set, outside the lock.
using DesiredObserver = std::function<void(const std::string& node_id, int64_t revision)>;

class Orchestrator {
 public:
  static Result<std::unique_ptr<Orchestrator>> open(storage::Database& db, const Clock& clock, NodeLister nodes,
                                                    OrchestratorOptions options);
  static Result<std::unique_ptr<Orchestrator>> open(storage::Database& db, const Clock& clock, NodeLister nodes);

  // Frontend. An invalid template or inputs (JSON/YAML map text) is invalid_argument with every
  // diagnostic, and nothing is stored; a template that cannot be placed is stored as
  // CREATE_FAILED with the scheduler's reasons per filter.
  // `group` is the IAM group the deployment belongs to (the API checks the caller may write there).
  Result<Deployment> create(const std::string& template_text, const std::string& inputs = "{}",
                            const std::string& group = std::string(kDefaultGroup));
  // Only node instances whose spec or placement changed get new specs; the others keep theirs
  // (agents do not restart them). A stale if_revision is conflict; an unplaceable update leaves
  // the running instances as they were (UPDATE_FAILED with the reasons).
  // A `group` moves the deployment to that group (nullopt: it stays in its own).
  Result<Deployment> update(const std::string& id, const std::string& template_text, const std::string& inputs,
                            std::optional<int64_t> if_revision = std::nullopt,
                            std::optional<std::string> group = std::nullopt);
  // Removes every task of the deployment from the desired sets (DELETE_IN_PROGRESS until the
  // agents report them stopped, or their node is down or gone).
  Result<Deployment> remove(const std::string& id);

  Result<Deployment> get(const std::string& id);
  Result<std::vector<Deployment>> list();
  Result<std::vector<NodeInstance>> instances(const std::string& id);
  Result<std::vector<DeploymentEvent>> events(const std::string& id, int64_t after = 0, int limit = 1000);
  // Outputs evaluated now (get_attribute from the instances' live attributes).
  Result<std::vector<Output>> outputs(const std::string& id);
  Result<DesiredSet> desired(const std::string& node_id);
  // Every task instance placed on the node (not deleted), with its spec: what is allocated there.
  Result<std::vector<NodeInstance>> placed_on(const std::string& node_id);

  // Backend. A task event from the agent on `node_id` (events of tasks the orchestrator no longer
  // places there are ignored). Attributes an agent reports (endpoint, ...) for get_attribute.
  Status report(const std::string& node_id, const runtime::TaskEvent& event);
  // Level-triggered counterpart of report(): everything the agent on `node_id` runs now
  // (Supervisor::status(), e.g. with each heartbeat). running → started (when it runs the spec
  // planned for it), pending/backoff → starting, failed → error, finished → started (it ran to
  // its end); a deleting task the agent no longer lists is deleted.
  Status report_states(const std::string& node_id, const std::vector<runtime::TaskStatus>& statuses);
  // Only the agent the task is placed on may set them: another node's report is permission_denied.
  Status set_attributes(const std::string& node_id, const std::string& task_id,
                        const std::map<std::string, std::string>& attributes);
  // One level-triggered pass over every deployment: move units off down and draining nodes (or
  // fail them with the reason), release the next dependency layer, recompute statuses.
  Status reconcile();

  void on_desired_change(DesiredObserver observer);

 private:
  Orchestrator(storage::Database& db, const Clock& clock, NodeLister nodes, OrchestratorOptions options,
               std::unique_ptr<DeploymentTable> table)
      : db_(db), clock_(clock), nodes_(std::move(nodes)), options_(std::move(options)), table_(std::move(table)) {}

  Result<std::shared_ptr<const tosca::InstanceModel>> validate(const std::string& text, const std::string& inputs);
  Result<std::shared_ptr<const tosca::InstanceModel>> model_of(const Deployment& d);
  // Releases what the dependency order allows and recomputes the status (in a transaction).
  Status step(DeploymentTable& tx, Deployment d);
  Status heal(DeploymentTable& tx, const Deployment& d, const std::map<std::string, model::Node>& nodes);
  Status write(const std::function<Status(DeploymentTable&)>& fn);  // transaction; changed nodes → pending_
  // Holds the lock for one mutating call; on the way out releases it, then tells the observer.
  class Session {
   public:
    explicit Session(Orchestrator& o) : o_(o), lock_(o.mu_) {}
    ~Session() {
      lock_.unlock();
      o_.flush();
    }
   private:
    Orchestrator& o_;
    std::unique_lock<std::mutex> lock_;
  };
  void flush();

  storage::Database& db_;
  const Clock& clock_;
  NodeLister nodes_;
  OrchestratorOptions options_;
  std::unique_ptr<DeploymentTable> table_;
  std::mutex mu_;
  std::map<std::string, std::pair<int64_t, std::shared_ptr<const tosca::InstanceModel>>> models_;  // id → (revision, model)
  DesiredObserver observer_;
  std::set<std::string> pending_;  // nodes whose desired set changed, not yet told
};

}  // namespace iotwins::orchestrator
