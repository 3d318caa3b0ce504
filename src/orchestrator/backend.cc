// The orchestrator's backend: a level-triggered reconciler. It looks at what is stored (the
// instances and their states) and at the registry's node states, never at what happened in
// between, so running it again, or after a restart, converges to the same result.
#include <set>

#include "core/log.h"
#include "orchestrator/orchestrator.h"

namespace iotwins::orchestrator {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("orchestrator");
  return log;
}

std::string label(const NodeInstance& n) { return n.name + "[" + std::to_string(n.index) + "]"; }

bool moves_away(const model::Node* node) {
  return node == nullptr || node->state == model::NodeState::down || node->state == model::NodeState::draining;
}

}  // namespace

Status Orchestrator::step(DeploymentTable& tx, Deployment d) {
  IOT_ASSIGN(auto insts, tx.instances(d.id));
  int64_t now = clock_.now_ns();
  Progress progress = Progress::in_progress;
  std::string reason;
  if (d.phase == Phase::remove) {
    bool all_gone = true;
    for (auto& n : insts) {
      if (n.state == InstanceState::deleted) continue;
      // Never released (or nothing to run): no agent has it, so it is gone at once.
      bool released = !n.task_id.empty() && n.state != InstanceState::initial;
      InstanceState next = released ? InstanceState::deleting : InstanceState::deleted;
      all_gone = all_gone && next == InstanceState::deleted;
      if (n.state == next) continue;
      n.state = next;
      IOT_TRY(tx.update_instance(n));
    }
    if (all_gone) progress = Progress::complete;
  } else if (d.progress == Progress::failed && d.reason.starts_with(kCannotPlace)) {
    return ok();  // a refused placement stays the status until the next update
  } else {
    // Dependency order: a layer is released once every instance of the layers before it started.
    // A changed replica that runs gets its new spec only while no other replica of its node
    // template is starting, and stops at a replica that failed: a rolling update.
    std::set<std::string> rolling;
    for (const auto& n : insts) {
      if (n.state == InstanceState::starting || n.state == InstanceState::error) rolling.insert(n.name);
    }
    bool blocked = false;
    int layer = -1;
    for (auto& n : insts) {  // ordered by layer
      if (n.layer != layer) {
        if (blocked) break;
        layer = n.layer;
      }
      if (n.next_spec && !rolling.contains(n.name)) {
        n.spec = std::move(n.next_spec);
        n.next_spec.reset();
        n.state = InstanceState::starting;
        rolling.insert(n.name);
        IOT_TRY(tx.add_event(d.id, now, "rolled", n.name, label(n) + " on " + n.node_id + " gets its new spec"));
        IOT_TRY(tx.update_instance(n));
      }
      if (n.next_spec) blocked = true;
      if (n.state == InstanceState::initial) {
        if (n.task_id.empty()) {
          n.state = InstanceState::started;  // a logical node (machine, twin): nothing to run
        } else {
          n.state = InstanceState::starting;
          IOT_TRY(tx.add_event(d.id, now, "released", n.name, label(n) + " → " + n.node_id));
        }
        IOT_TRY(tx.update_instance(n));
      }
      if (n.state != InstanceState::started) blocked = true;
    }
    bool all_started = !blocked;
    for (const auto& n : insts) {
      all_started = all_started && n.state == InstanceState::started;
      if (n.state == InstanceState::error && reason.empty()) reason = label(n) + " on " + n.node_id + ": " + n.reason;
    }
    if (!reason.empty()) {
      progress = Progress::failed;
    } else if (all_started) {
      progress = Progress::complete;
    }
  }
  if (progress == d.progress && reason == d.reason) return ok();
  d.progress = progress;
  d.reason = reason;
  d.updated_ns = now;
  d.revision++;
  IOT_TRY(tx.put(d));
  return tx.add_event(d.id, now, "status", "", d.status() + (reason.empty() ? "" : ": " + reason));
}

Status Orchestrator::report(const std::string& node_id, const runtime::TaskEvent& ev) {
  Session session(*this);
  return write([&](DeploymentTable& tx) -> Status {
    IOT_ASSIGN(auto found, tx.find_task(ev.task_id));
    if (!found || found->node_id != node_id) {
      logger().debug("task event {} for {} from {} ignored: not placed there", runtime::task_event_name(ev.kind),
                     ev.task_id, node_id);
      return ok();
    }
    NodeInstance n = std::move(*found);
    IOT_ASSIGN(Deployment d, tx.get(n.deployment));
    using K = runtime::TaskEventKind;
    const InstanceState before = n.state;
    const std::string before_reason = n.reason;
    bool deleting = n.state == InstanceState::deleting || n.state == InstanceState::deleted;
    switch (ev.kind) {
      case K::started:
      case K::recovered:
        if (!deleting) n.state = InstanceState::started, n.reason.clear();
        break;
      case K::restarting:
      case K::unhealthy:
        if (!deleting) n.state = InstanceState::starting, n.reason = ev.message;
        break;
      case K::exited:
        if (deleting) {
          n.state = InstanceState::deleted;
        } else if (n.spec && n.spec->restart.mode == runtime::RestartMode::never) {
          n.state = InstanceState::error, n.reason = ev.message;
        } else {
          n.state = InstanceState::starting, n.reason = ev.message;
        }
        break;
      case K::restart_storm:
      case K::start_failed:
        if (!deleting) n.state = InstanceState::error, n.reason = std::string(runtime::task_event_name(ev.kind)) + ": " + ev.message;
        break;
      case K::stopped:
        if (deleting) n.state = InstanceState::deleted;
        break;
    }
    int64_t now = clock_.now_ns();
    IOT_TRY(tx.add_event(d.id, now, "task_" + std::string(runtime::task_event_name(ev.kind)), n.name,
                         label(n) + " on " + node_id + (ev.message.empty() ? "" : ": " + ev.message)));
    if (n.state == before && n.reason == before_reason) return step(tx, d);
    IOT_TRY(tx.update_instance(n));
    return step(tx, d);
  });
}

Status Orchestrator::report_states(const std::string& node_id, const std::vector<runtime::TaskStatus>& statuses) {
  Session session(*this);
  std::map<std::string, const runtime::TaskStatus*> by_id;
  for (const auto& st : statuses) by_id[st.spec.id] = &st;
  return write([&](DeploymentTable& tx) -> Status {
    IOT_ASSIGN(auto placed, tx.instances_on(node_id));
    std::set<std::string> touched;  // deployments whose instances changed
    for (auto& n : placed) {
      if (n.task_id.empty() || n.state == InstanceState::deleted || n.state == InstanceState::initial) continue;
      auto it = by_id.find(n.task_id);
      InstanceState next = n.state;
      std::string reason = n.reason;
      if (n.state == InstanceState::deleting) {
        if (it == by_id.end()) next = InstanceState::deleted;
      } else if (it != by_id.end()) {
        const runtime::TaskStatus& st = *it->second;
        using S = runtime::TaskState;
        if (st.state == S::failed) {
          next = InstanceState::error, reason = st.last_error.empty() ? "failed" : st.last_error;
        } else if (st.spec != n.spec) {
          continue;  // still running what it ran before this spec: nothing to say about this one
        } else if (st.state == S::running || st.state == S::finished) {
          next = InstanceState::started, reason.clear();
        } else {
          next = InstanceState::starting, reason = st.last_error;
        }
      }
      if (next == n.state && reason == n.reason) continue;
      IOT_TRY(tx.add_event(n.deployment, clock_.now_ns(), "task_state", n.name,
                           label(n) + " on " + node_id + ": " + std::string(to_string(next)) +
                               (reason.empty() ? "" : " (" + reason + ")")));
      n.state = next;
      n.reason = reason;
      IOT_TRY(tx.update_instance(n));
      touched.insert(n.deployment);
    }
    for (const auto& id : touched) {
      IOT_ASSIGN(Deployment d, tx.get(id));
      IOT_TRY(step(tx, d));
    }
    return ok();
  });
}

Status Orchestrator::set_attributes(const std::string& node_id, const std::string& task_id,
                                    const std::map<std::string, std::string>& attributes) {
  Session session(*this);
  return write([&](DeploymentTable& tx) -> Status {
    IOT_ASSIGN(auto found, tx.find_task(task_id));
    if (!found) return make_error(Errc::not_found, "task " + task_id + " is not part of any deployment");
    if (found->node_id != node_id) {
      return make_error(Errc::permission_denied, "task " + task_id + " runs on node " + found->node_id + ", not " + node_id);
    }
    bool same = true;
    for (const auto& [k, v] : attributes) {
      auto it = found->attributes.find(k);
      same = same && it != found->attributes.end() && it->second == v;
    }
    if (same) return ok();  // reported again with every report: no write
    for (const auto& [k, v] : attributes) found->attributes[k] = v;
    return tx.update_instance(*found);
  });
}

Status Orchestrator::heal(DeploymentTable& tx, const Deployment& d, const std::map<std::string, model::Node>& nodes) {
  IOT_ASSIGN(auto insts, tx.instances(d.id));
  int64_t now = clock_.now_ns();
  auto node_of = [&](const std::string& id) -> const model::Node* {
    auto it = nodes.find(id);
    return it == nodes.end() ? nullptr : &it->second;
  };
  if (d.phase == Phase::remove) {  // a task on a down or forgotten node is gone with it
    for (auto& n : insts) {
      const model::Node* node = node_of(n.node_id);
      if (n.state == InstanceState::deleting && (node == nullptr || node->state == model::NodeState::down)) {
        n.state = InstanceState::deleted;
        IOT_TRY(tx.update_instance(n));
      }
    }
    return ok();
  }
  bool any = false;
  for (const auto& n : insts) any = any || (!n.node_id.empty() && moves_away(node_of(n.node_id)));
  if (!any) return ok();

  IOT_ASSIGN(auto model, model_of(d));
  IOT_ASSIGN(auto all, tx.all_instances());
  std::vector<model::Node> list;
  for (const auto& [id, node] : nodes) list.push_back(node);
  PlanInput in{model.get(), d.id, node_snapshots(list, all, d.id), {}};
  for (const auto& n : insts) {
    if (!n.unit.empty() && !n.node_id.empty()) in.previous[n.unit] = n.node_id;
  }
  IOT_ASSIGN(auto plan, plan_deployment(in));
  std::map<std::string, std::string> failed;  // unit → why it cannot move
  for (const auto& f : plan.failures) failed[f.request_id] = f.explanation;

  std::vector<NodeInstance> next;
  for (const auto& p : plan.instances) {
    const NodeInstance* cur = nullptr;
    for (const auto& n : insts) {
      if (n.name == p.name && n.index == p.index) cur = &n;
    }
    if (!cur) continue;  // the template did not change: every planned instance exists
    NodeInstance n = *cur;
    const model::Node* node = node_of(n.node_id);
    if (auto f = failed.find(n.unit); f != failed.end()) {
      if (!moves_away(node)) {  // it fits nowhere else either, but where it is, it runs
        next.push_back(std::move(n));
        continue;
      }
      // Cannot move: on a down (or forgotten) node the instance fails; a draining one keeps running.
      std::string why = (node ? "node " + n.node_id + " is " + std::string(model::to_string(node->state))
                              : "node " + n.node_id + " is not registered") +
                        " and no other node fits: " + f->second;
      bool fail = node == nullptr || node->state == model::NodeState::down;
      if (n.reason != why) {
        IOT_TRY(tx.add_event(d.id, now, fail ? "replace_failed" : "drain_blocked", n.name, label(n) + ": " + why));
      }
      if (fail && n.task_id.empty()) {
        n.reason = why;  // a logical node on the lost machine: nothing runs, only the reason is kept
      } else if (fail) {
        n.state = InstanceState::error;
        n.reason = why;
      } else {
        n.reason = why;
      }
    } else if (p.node_id != n.node_id) {
      IOT_TRY(tx.add_event(d.id, now, "replaced", n.name,
                           label(n) + " moved from " + n.node_id + " (" +
                               (node ? std::string(model::to_string(node->state)) : "not registered") + ") to " + p.node_id));
      n.node_id = p.node_id;
      n.attributes["node"] = p.node_id;
      n.spec = p.spec;
      n.next_spec.reset();  // it starts anew there, with the current template's spec
      n.reason.clear();
      if (n.state != InstanceState::initial) n.state = n.task_id.empty() ? InstanceState::started : InstanceState::starting;
    } else if (n.next_spec ? *n.next_spec != *p.spec : n.spec != p.spec) {
      (n.next_spec ? n.next_spec : n.spec) = p.spec;  // a neighbour moved: its stream wiring changed
    }
    next.push_back(std::move(n));
  }
  return tx.replace_instances(d.id, next);
}

Status Orchestrator::reconcile() {
  Session session(*this);
  std::map<std::string, model::Node> nodes;
  for (auto& n : nodes_()) nodes[n.id] = std::move(n);
  IOT_ASSIGN(auto deployments, table_->list());
  for (const auto& listed : deployments) {
    if (listed.phase == Phase::remove && listed.progress == Progress::complete) continue;
    Status st = write([&](DeploymentTable& tx) -> Status {
      IOT_ASSIGN(Deployment d, tx.get(listed.id));
      IOT_TRY(heal(tx, d, nodes));
      return step(tx, d);
    });
    if (!st) logger().warn("reconcile {}: {}", listed.id, st.error().to_string());
  }
  return ok();
}

}  // namespace iotwins::orchestrator
