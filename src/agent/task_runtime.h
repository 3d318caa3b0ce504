// TaskRuntime: the agent's side of deployments (issue #8). It runs the tasks the server places
// on this node and tells the server how they are doing:
//   - the node watch (WebSocket GET /api/v1/nodes/{id}/watch?revision=N) delivers each new
//     desired task set; the Supervisor (runtime/) persists it and drives the tasks toward it;
//   - executables come from the server's artifact store by sha256 through a verified cache
//     (<data-dir>/artifacts); builtin tasks get the node's streams (agent/streams.h);
//   - task events, the task list and live attributes go to POST /api/v1/nodes/{id}/tasks after
//     every change and every few seconds; events queue in memory while the server is away.
// Edge autonomy: the Supervisor opens from <data-dir>/tasks.json before the server is reached,
// re-attaches processes that kept running and restarts the rest, so a restarted agent runs its
// tasks with the server down and reports what happened when it reconnects.
#pragma once

#include <memory>
#include <string>

#include "api/http_client.h"
#include "core/result.h"
#include "model/node.h"
#include "runtime/streams.h"

namespace iotwins::agent {

class DataPlane;

struct TaskRuntimeOptions {
  std::string data_dir;
  std::string server_url;
  api::ClientOptions client;
  std::string node_id;           // from the stored identity; empty until registered
  DataPlane* data_plane = nullptr;
  std::chrono::milliseconds tick{250};
  std::chrono::milliseconds report_every{2000};
  std::chrono::milliseconds stop_grace{5000};
  bool stop_tasks_on_exit = false;  // false: tasks keep running for the next agent (edge autonomy)
};

class TaskRuntime {
 public:
  static Result<std::unique_ptr<TaskRuntime>> open(TaskRuntimeOptions options);
  ~TaskRuntime();

  // Registered (again): starts (or re-points) the watch and the reports.
  void set_node_id(const std::string& node_id);
  // The node's streams, for the data plane tap.
  runtime::StreamHub& streams();
  // Each task's state and usage, for the heartbeat.
  std::vector<model::TaskKpis> task_kpis();
  void stop();

  struct Impl;

 private:
  explicit TaskRuntime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace iotwins::agent
