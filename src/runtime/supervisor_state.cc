// The supervisor's state file: <data_dir>/tasks.json = {"version": 1, "desired": [TaskSpec...],
// "tasks": [{"id", "state", "last_error", "handle": {...}}]}, replaced atomically on change.
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "runtime/supervisor.h"
#include "runtime/task_spec_json.h"

namespace iotwins::runtime {
namespace {

using nlohmann::json;

constexpr int kStateVersion = 1;

std::string state_path(const std::string& data_dir) { return join_path(data_dir, "tasks.json"); }

Result<TaskState> parse_state(const std::string& s) {
  for (TaskState st : {TaskState::pending, TaskState::running, TaskState::backoff, TaskState::failed,
                       TaskState::finished}) {
    if (task_state_name(st) == s) return st;
  }
  return make_error(Errc::corruption, "unknown task state '" + s + "'");
}

}  // namespace

void Supervisor::persist() {
  json tasks = json::array();
  for (const auto& [id, task] : tasks_) {
    json t = {{"id", id}, {"state", task_state_name(task.state)}, {"last_error", task.last_error}};
    if (task.state == TaskState::running) {
      t["handle"] = {{"driver", task.handle.driver}, {"pid", task.handle.pid},
                     {"start_time", task.handle.start_time}, {"detail", task.handle.detail}};
    }
    tasks.push_back(std::move(t));
  }
  json desired = json::array();
  for (const auto& spec : desired_) desired.push_back(task_spec_to_json(spec));
  json doc = {{"version", kStateVersion}, {"desired", std::move(desired)}, {"tasks", std::move(tasks)}};
  Status st = options_.fs->create_dirs(options_.data_dir);
  if (st) st = options_.fs->write_file_atomic(state_path(options_.data_dir), doc.dump(1));
  if (!st) {
    // Kept dirty: the next tick tries again.
    log::get("runtime").error("persist task state: {}", st.error().to_string());
    return;
  }
  dirty_ = false;
}

Status Supervisor::load() {
  const std::string path = state_path(options_.data_dir);
  IOT_ASSIGN(bool present, options_.fs->exists(path));
  if (!present) return ok();
  IOT_ASSIGN(std::string text, options_.fs->read_file(path));
  auto corrupt = [&](const std::string& what) {
    return make_error(Errc::corruption, path + ": " + what +
                                            " (move the file away to start with no tasks; the server sends the set again)");
  };
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return corrupt("not a JSON object");
  // json::value() throws on a field of another type: the whole reading is inside this try.
  auto read = [&]() -> Status {
    if (doc.value("version", 0) != kStateVersion) return corrupt("unknown version");
    if (!doc.contains("desired") || !doc["desired"].is_array()) return corrupt("no desired array");
    std::vector<TaskSpec> desired;
    for (size_t i = 0; i < doc["desired"].size(); ++i) {
      auto spec = task_spec_from_json(doc["desired"][i], "desired[" + std::to_string(i) + "]");
      if (!spec) return corrupt(spec.error().message());
      desired.push_back(std::move(*spec));
    }
    const int64_t now = options_.clock->steady_ns();
    std::lock_guard lock(mu_);
    desired_ = desired;
    std::map<std::string, const TaskSpec*> by_id;
    for (const auto& spec : desired_) by_id[spec.id] = &spec;
    const json& tasks = doc.contains("tasks") && doc["tasks"].is_array() ? doc["tasks"] : json::array();
    for (const auto& t : tasks) {
      if (!t.is_object() || !t.contains("id") || !t["id"].is_string() || !t.contains("state") || !t["state"].is_string()) {
        return corrupt("a task entry without id or state");
      }
      std::string id = t["id"].get<std::string>();
      IOT_ASSIGN(TaskState state, parse_state(t["state"].get<std::string>()));
      auto spec = by_id.find(id);
      Task task;
      task.next_start_ns = now;
      task.last_error = t.value("last_error", "");
      if (spec == by_id.end()) {
        // Running but no longer desired: tracked so the first tick stops it.
        if (state != TaskState::running) continue;
        task.spec.id = id;
      } else {
        task.spec = *spec->second;
      }
      if (state == TaskState::failed || state == TaskState::finished) task.state = state;
      if (state == TaskState::running) {
        const json& h = t.contains("handle") && t["handle"].is_object() ? t["handle"] : json::object();
        TaskHandle handle{.task_id = id, .driver = h.value("driver", ""), .pid = h.value("pid", 0),
                          .start_time = h.value("start_time", uint64_t{0}), .detail = h.value("detail", "")};
        if (task.spec.driver.empty()) task.spec.driver = handle.driver;
        auto driver = drivers_.find(handle.driver);
        Status st = driver == drivers_.end() ? make_error(Errc::not_found, "driver '" + handle.driver + "' is gone")
                                             : driver->second->recover(handle);
        if (st) {
          task.state = TaskState::running;
          task.handle = handle;
          task.next_health_ns = now + task.spec.health.interval_ms * 1'000'000;
          emit(task, TaskEventKind::recovered, "re-attached to pid " + std::to_string(handle.pid));
        } else if (spec != by_id.end()) {
          emit(task, TaskEventKind::exited, "ended while the agent was down: " + st.error().message());
          on_exit(task, TaskExit{.reason = "ended while the agent was down"}, now);
        } else {
          continue;  // not desired and gone: nothing to do
        }
      }
      tasks_.emplace(id, std::move(task));
    }
    dirty_ = true;
    return ok();
  };
  try {
    return read();
  } catch (const json::exception& e) {
    return corrupt(std::string("a field of the wrong type (") + e.what() + ")");
  }
}

}  // namespace iotwins::runtime
