// TaskReport: what an agent tells the server about its tasks (POST /api/v1/nodes/{id}/tasks):
// the task events since the last report, the status of every task it holds now (level-triggered:
// the orchestrator confirms starts and deletes from it), and live attributes (endpoint, …).
// A strict JSON codec, as for TaskSpec: unknown fields and bad values are invalid_argument.
//
//   {"events": [{"task", "deployment", "kind", "ts_ns", "message", "exit_code", "signal", "delay_ms"}],
//    "tasks": [{"spec": {TaskSpec}, "state": "running", "restarts": 0, "last_error": ""}],
//    "attributes": {"<task id>": {"endpoint": "mqtt://…"}}}
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/supervisor.h"

namespace iotwins::runtime {

struct TaskReport {
  std::vector<TaskEvent> events;
  std::optional<std::vector<TaskStatus>> tasks;  // absent: events only
  std::map<std::string, std::map<std::string, std::string>> attributes;
};

std::string encode_task_report(const TaskReport& report);
Result<TaskReport> decode_task_report(std::string_view json);

Result<TaskEventKind> parse_task_event_kind(std::string_view name);
Result<TaskState> parse_task_state(std::string_view name);

}  // namespace iotwins::runtime
