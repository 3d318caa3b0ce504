// The orchestrator's values: deployments, node instances, their events and the desired task set
// of a node. Plain values; the table persists them, the frontend and backend change them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "runtime/task_spec.h"

namespace iotwins::orchestrator {

// What the deployment is doing: created, updated or deleted. Its status is the phase plus how far
// it got: CREATE_IN_PROGRESS, CREATE_COMPLETE, CREATE_FAILED, UPDATE_*, DELETE_*.
enum class Phase { create, update, remove };
enum class Progress { in_progress, complete, failed };
std::string status_name(Phase phase, Progress progress);  // "CREATE_IN_PROGRESS"
Result<std::pair<Phase, Progress>> parse_status(std::string_view text);

// TOSCA node states as the orchestrator tracks them (a subset of TOSCA 1.3 §3.4.1):
// initial (planned, its layer not released yet) → starting (in its node's desired set) →
// started (the agent reported it running); error (failed, with a reason); deleting (removed from
// the desired set, waiting for the agent) → deleted.
enum class InstanceState { initial, starting, started, error, deleting, deleted };
std::string_view to_string(InstanceState state);
Result<InstanceState> parse_instance_state(std::string_view text);

// The group a deployment belongs to when its creator names none (IAM bindings are per group).
inline constexpr std::string_view kDefaultGroup = "default";

// A deployment's reason starts with this when the scheduler could not place it.
inline constexpr std::string_view kCannotPlace = "cannot place: ";

struct Deployment {
  std::string id;
  std::string template_text;
  std::string inputs_json = "{}";  // the inputs as given: a JSON object
  std::string group = std::string(kDefaultGroup);  // who may see and change it (IAM role bindings)
  Phase phase = Phase::create;
  Progress progress = Progress::in_progress;
  std::string reason;  // why it failed (the first failure), empty otherwise
  int64_t created_ns = 0;
  int64_t updated_ns = 0;
  int64_t revision = 1;  // +1 on every change of status, template or inputs
  std::string status() const { return status_name(phase, progress); }
};

// One instance of a TOSCA node template (index > 0 for scaled tasks). A task instance has a
// task id and a spec; a Compute, Twin or other logical node has neither.
struct NodeInstance {
  std::string deployment;
  std::string name;   // node template
  int index = 0;
  std::string unit;   // the placement unit: the Compute it is hosted on, or its own key
  std::string node_id;  // the agent node it runs on; empty for unplaced logical nodes
  int layer = 0;      // deployment layer (TOSCA dependency order)
  InstanceState state = InstanceState::initial;
  std::string reason;
  std::string task_id;  // empty: no task (Compute, Twin, ...)
  std::optional<runtime::TaskSpec> spec;
  // Update: the spec it gets when its turn comes; until then the agent keeps running `spec`
  // (one replica of a node template at a time: a rolling update).
  std::optional<runtime::TaskSpec> next_spec;
  std::map<std::string, std::string> attributes;  // live attributes (endpoint, node, ...)
};

struct DeploymentEvent {
  int64_t seq = 0;
  std::string deployment;
  int64_t ts_ns = 0;
  std::string kind;  // created, placed, released, task_started, task_failed, replaced, ...
  std::string node;  // node template it is about, if any
  std::string message;
};

// What a node's agent must run: every task of every deployment placed on it, by task id, and a
// revision that grows whenever that list changes (what GET /api/v1/nodes/{id}/watch pushes).
struct DesiredSet {
  std::string node_id;
  int64_t revision = 0;
  std::vector<runtime::TaskSpec> tasks;
};

// A deployment's output, evaluated from live attributes; `error` says what is not known yet.
struct Output {
  std::string name;
  std::optional<std::string> value;
  std::string error;
};

}  // namespace iotwins::orchestrator
