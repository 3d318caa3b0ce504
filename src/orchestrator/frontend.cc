// The orchestrator's frontend: intents (create, update, delete) and queries. Each intent is
// validated and planned before anything is written, then written in one transaction together
// with the first reconciler step, so a crash leaves either nothing or a resumable deployment.
#include <algorithm>

#include "core/log.h"
#include "orchestrator/orchestrator.h"

namespace iotwins::orchestrator {
namespace {

std::string placement_summary(const DeploymentPlan& plan) {
  std::string out;
  for (const auto& [unit, node] : plan.placements) out += (out.empty() ? "" : ", ") + unit + " → " + node;
  return out.empty() ? "nothing to place" : out;
}

const NodeInstance* find_instance(const std::vector<NodeInstance>& list, const std::string& name, int index) {
  for (const auto& n : list) {
    if (n.name == name && n.index == index) return &n;
  }
  return nullptr;
}

}  // namespace

Result<std::unique_ptr<Orchestrator>> Orchestrator::open(storage::Database& db, const Clock& clock, NodeLister nodes,
                                                         OrchestratorOptions options) {
  IOT_ASSIGN(auto table, DeploymentTable::open(db));
  return std::unique_ptr<Orchestrator>(new Orchestrator(db, clock, std::move(nodes), std::move(options), std::move(table)));
}

Result<std::unique_ptr<Orchestrator>> Orchestrator::open(storage::Database& db, const Clock& clock, NodeLister nodes) {
  return open(db, clock, std::move(nodes), OrchestratorOptions{});
}

void Orchestrator::on_desired_change(DesiredObserver observer) {
  std::lock_guard lock(mu_);
  observer_ = std::move(observer);
}

Status Orchestrator::write(const std::function<Status(DeploymentTable&)>& fn) {
  return table_->transaction(fn, &pending_);
}

void Orchestrator::flush() {
  std::vector<std::pair<std::string, int64_t>> changed;
  DesiredObserver observer;
  {
    std::lock_guard lock(mu_);
    for (const auto& node : pending_) {
      auto set = table_->desired(node);
      if (set) changed.push_back({node, set->revision});
    }
    pending_.clear();
    observer = observer_;
  }
  if (!observer) return;
  for (const auto& [node, revision] : changed) observer(node, revision);
}

Result<std::shared_ptr<const tosca::InstanceModel>> Orchestrator::validate(const std::string& text,
                                                                           const std::string& inputs) {
  IOT_ASSIGN(auto values, tosca::parse_inputs_yaml(inputs.empty() ? "{}" : inputs, "<inputs>"));
  auto report = tosca::validate(tosca::Source::from_text(text, "<template>", options_.base_dir), values, options_.validate);
  if (!report.ok() || !report.instance) {
    return make_error(Errc::invalid_argument, "template is not valid:\n" + report.to_text());
  }
  return report.instance;
}

Result<std::shared_ptr<const tosca::InstanceModel>> Orchestrator::model_of(const Deployment& d) {
  auto it = models_.find(d.id);
  if (it != models_.end() && it->second.first == d.revision) return it->second.second;
  auto model = validate(d.template_text, d.inputs_json);
  if (!model) return std::unexpected(model.error().context("deployment " + d.id));
  models_[d.id] = {d.revision, *model};
  return *model;
}

Result<Deployment> Orchestrator::create(const std::string& template_text, const std::string& inputs,
                                        const std::string& group) {
  if (group.empty()) return make_error(Errc::invalid_argument, "group: a deployment belongs to a group; empty given");
  IOT_ASSIGN(auto model, validate(template_text, inputs));
  Session session(*this);
  Deployment d;
  d.group = group;
  d.template_text = template_text;
  d.inputs_json = inputs.empty() ? "{}" : inputs;
  d.created_ns = d.updated_ns = clock_.now_ns();
  // The registry is read before the transaction: it persists heartbeats through the same database
  // while holding its own lock, so asking it from inside the transaction deadlocks under load.
  auto registry = nodes_();
  IOT_TRY(write([&](DeploymentTable& tx) -> Status {
    IOT_ASSIGN(d.id, tx.next_deployment_id());
    IOT_ASSIGN(auto all, tx.all_instances());
    PlanInput in{model.get(), d.id, node_snapshots(registry, all, d.id), {}};
    IOT_ASSIGN(auto plan, plan_deployment(in));
    if (!plan.failures.empty()) {
      d.progress = Progress::failed;
      d.reason = std::string(kCannotPlace) + plan.explanation();
      IOT_TRY(tx.put(d));
      return tx.add_event(d.id, d.created_ns, "placement_failed", "", d.reason);
    }
    IOT_TRY(tx.put(d));
    IOT_TRY(tx.replace_instances(d.id, plan.instances));
    IOT_TRY(tx.add_event(d.id, d.created_ns, "planned", "", placement_summary(plan)));
    return step(tx, d);
  }));
  models_[d.id] = {d.revision, model};
  return table_->get(d.id);
}

Result<Deployment> Orchestrator::update(const std::string& id, const std::string& template_text,
                                        const std::string& inputs, std::optional<int64_t> if_revision,
                                        std::optional<std::string> group) {
  if (group && group->empty()) return make_error(Errc::invalid_argument, "group: empty; omit it to keep the group");
  IOT_ASSIGN(auto model, validate(template_text, inputs));
  Session session(*this);
  IOT_ASSIGN(Deployment d, table_->get(id));
  if (d.phase == Phase::remove) return make_error(Errc::conflict, "deployment " + id + " is being deleted");
  if (if_revision && *if_revision != d.revision) {
    return make_error(Errc::conflict, "deployment " + id + " is at revision " + std::to_string(d.revision) +
                                          ", not " + std::to_string(*if_revision));
  }
  int64_t now = clock_.now_ns();
  auto registry = nodes_();  // before the transaction (see create)
  IOT_TRY(write([&](DeploymentTable& tx) -> Status {
    IOT_ASSIGN(auto old, tx.instances(id));
    IOT_ASSIGN(auto all, tx.all_instances());
    PlanInput in{model.get(), id, node_snapshots(registry, all, id), {}};
    for (const auto& n : old) {
      if (!n.unit.empty() && !n.node_id.empty()) in.previous[n.unit] = n.node_id;
    }
    IOT_ASSIGN(auto plan, plan_deployment(in));
    d.phase = Phase::update;
    d.updated_ns = now;
    d.revision++;
    if (!plan.failures.empty()) {  // keep what runs; say why the update was refused
      d.progress = Progress::failed;
      d.reason = std::string(kCannotPlace) + plan.explanation();
      IOT_TRY(tx.put(d));
      return tx.add_event(id, now, "placement_failed", "", d.reason);
    }
    int changed = 0;
    for (auto& n : plan.instances) {
      const NodeInstance* prev = find_instance(old, n.name, n.index);
      // What the previous template asked for: the pending spec of a rolling update, else the running one.
      const auto* asked = prev ? (prev->next_spec ? &prev->next_spec : &prev->spec) : nullptr;
      if (prev && prev->node_id == n.node_id && *asked == n.spec && prev->state != InstanceState::error) {
        NodeInstance keep = *prev;  // unchanged: same spec, same node, the agent keeps it running
        keep.layer = n.layer;       // but where it sits in the new template's order is new
        keep.unit = n.unit;
        n = std::move(keep);
        continue;
      }
      ++changed;
      if (prev && prev->node_id == n.node_id && prev->spec && n.spec && prev->state == InstanceState::started) {
        // Running where it stays: it keeps its spec until its turn (step() rolls one replica at a time).
        NodeInstance keep = *prev;
        keep.next_spec = std::move(n.spec);
        keep.layer = n.layer;
        keep.unit = n.unit;
        n = std::move(keep);
      }
      IOT_TRY(tx.add_event(id, now, prev ? "changed" : "added", n.name,
                           n.name + "[" + std::to_string(n.index) + "] on " + (n.node_id.empty() ? "-" : n.node_id)));
    }
    for (const auto& o : old) {
      if (!find_instance(plan.instances, o.name, o.index)) {
        IOT_TRY(tx.add_event(id, now, "removed", o.name, o.name + "[" + std::to_string(o.index) + "]"));
      }
    }
    d.template_text = template_text;
    d.inputs_json = inputs.empty() ? "{}" : inputs;
    if (group && *group != d.group) {
      IOT_TRY(tx.add_event(id, now, "group_changed", "", "from group " + d.group + " to " + *group));
      d.group = *group;
    }
    d.progress = Progress::in_progress;
    d.reason.clear();
    IOT_TRY(tx.put(d));
    IOT_TRY(tx.replace_instances(id, plan.instances));
    IOT_TRY(tx.add_event(id, now, "updated", "", std::to_string(changed) + " node instances changed"));
    return step(tx, d);
  }));
  if (d.progress != Progress::failed) models_[id] = {d.revision, model};
  return table_->get(id);
}

Result<Deployment> Orchestrator::remove(const std::string& id) {
  Session session(*this);
  IOT_ASSIGN(Deployment d, table_->get(id));
  if (d.phase == Phase::remove) return d;
  IOT_TRY(write([&](DeploymentTable& tx) -> Status {
    d.phase = Phase::remove;
    d.progress = Progress::in_progress;
    d.reason.clear();
    d.updated_ns = clock_.now_ns();
    d.revision++;
    IOT_TRY(tx.put(d));
    IOT_TRY(tx.add_event(id, d.updated_ns, "delete_requested", "", "undeploy"));
    return step(tx, d);
  }));
  return table_->get(id);
}

Result<Deployment> Orchestrator::get(const std::string& id) {
  std::lock_guard lock(mu_);
  return table_->get(id);
}

Result<std::vector<Deployment>> Orchestrator::list() {
  std::lock_guard lock(mu_);
  return table_->list();
}

Result<std::vector<NodeInstance>> Orchestrator::instances(const std::string& id) {
  std::lock_guard lock(mu_);
  IOT_TRY(table_->get(id));
  return table_->instances(id);
}

Result<std::vector<DeploymentEvent>> Orchestrator::events(const std::string& id, int64_t after, int limit) {
  std::lock_guard lock(mu_);
  IOT_TRY(table_->get(id));
  return table_->events(id, after, limit);
}

Result<DesiredSet> Orchestrator::desired(const std::string& node_id) {
  std::lock_guard lock(mu_);
  return table_->desired(node_id);
}

Result<std::vector<NodeInstance>> Orchestrator::placed_on(const std::string& node_id) {
  std::lock_guard lock(mu_);
  IOT_ASSIGN(auto all, table_->instances_on(node_id));
  std::erase_if(all, [](const NodeInstance& n) { return n.task_id.empty() || n.state == InstanceState::deleted || !n.spec; });
  return all;
}

Result<std::vector<Output>> Orchestrator::outputs(const std::string& id) {
  std::lock_guard lock(mu_);
  IOT_ASSIGN(Deployment d, table_->get(id));
  IOT_ASSIGN(auto model, model_of(d));
  IOT_ASSIGN(auto insts, table_->instances(id));
  tosca::RuntimeLookup lookup = [&](const tosca::RuntimeRef& ref) -> std::optional<tosca::Value> {
    if (ref.kind != tosca::RuntimeRef::Kind::attribute) return std::nullopt;
    const NodeInstance* n = find_instance(insts, ref.node, 0);
    if (!n) return std::nullopt;
    auto it = n->attributes.find(ref.name);
    if (it == n->attributes.end()) return std::nullopt;
    return tosca::Value(it->second);
  };
  std::vector<Output> out;
  for (const auto& [name, expr] : model->outputs.as_map()) {
    Output o{name, std::nullopt, ""};
    auto v = model->evaluate(expr, {}, lookup);
    if (!v) {
      o.error = v.error().message();
    } else if (v->is_null()) {
      o.error = "not known yet";
    } else {
      o.value = v->is_scalar() ? v->scalar_text() : v->to_string();
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace iotwins::orchestrator
