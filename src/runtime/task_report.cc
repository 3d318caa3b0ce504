#include "runtime/task_report.h"

#include <nlohmann/json.hpp>

#include "runtime/task_spec_json.h"

namespace iotwins::runtime {
namespace {

using nlohmann::json;

auto bad(const std::string& where, const std::string& what) {
  return make_error(Errc::invalid_argument, where + ": " + what);
}

Status only_keys(const json& j, const std::string& where, std::initializer_list<std::string_view> keys) {
  if (!j.is_object()) return bad(where, "expected an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) return bad(where, "unknown field '" + it.key() + "'");
  }
  return ok();
}

template <typename T>
Status get(const json& j, const char* key, T& out, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) return ok();
  try {
    out = it->get<T>();
  } catch (const json::exception&) {
    return bad(where + "." + key, "wrong type");
  }
  return ok();
}

Result<TaskEvent> event_from_json(const json& j, const std::string& where) {
  IOT_TRY(only_keys(j, where, {"task", "deployment", "kind", "ts_ns", "message", "exit_code", "signal", "reason", "delay_ms"}));
  TaskEvent e;
  std::string kind;
  IOT_TRY(get(j, "task", e.task_id, where));
  IOT_TRY(get(j, "deployment", e.deployment, where));
  IOT_TRY(get(j, "kind", kind, where));
  IOT_TRY(get(j, "ts_ns", e.ts_ns, where));
  IOT_TRY(get(j, "message", e.message, where));
  IOT_TRY(get(j, "exit_code", e.exit.code, where));
  IOT_TRY(get(j, "signal", e.exit.signal, where));
  IOT_TRY(get(j, "reason", e.exit.reason, where));
  IOT_TRY(get(j, "delay_ms", e.delay_ms, where));
  if (e.task_id.empty()) return bad(where + ".task", "required");
  auto k = parse_task_event_kind(kind);
  if (!k) return bad(where + ".kind", k.error().message());
  e.kind = *k;
  return e;
}

Result<TaskStatus> status_from_json(const json& j, const std::string& where) {
  IOT_TRY(only_keys(j, where, {"spec", "state", "restarts", "last_error"}));
  TaskStatus s;
  if (!j.contains("spec")) return bad(where + ".spec", "required");
  IOT_ASSIGN(s.spec, task_spec_from_json(j["spec"], where + ".spec"));
  std::string state;
  IOT_TRY(get(j, "state", state, where));
  IOT_TRY(get(j, "restarts", s.restarts, where));
  IOT_TRY(get(j, "last_error", s.last_error, where));
  auto st = parse_task_state(state);
  if (!st) return bad(where + ".state", st.error().message());
  s.state = *st;
  return s;
}

}  // namespace

Result<TaskEventKind> parse_task_event_kind(std::string_view name) {
  for (auto k : {TaskEventKind::started, TaskEventKind::exited, TaskEventKind::restarting, TaskEventKind::unhealthy,
                 TaskEventKind::restart_storm, TaskEventKind::start_failed, TaskEventKind::stopped,
                 TaskEventKind::recovered}) {
    if (task_event_name(k) == name) return k;
  }
  return make_error(Errc::invalid_argument, "unknown task event '" + std::string(name) +
                                                "' (started, exited, restarting, unhealthy, restart_storm, "
                                                "start_failed, stopped, recovered)");
}

Result<TaskState> parse_task_state(std::string_view name) {
  for (auto s : {TaskState::pending, TaskState::running, TaskState::backoff, TaskState::failed, TaskState::finished}) {
    if (task_state_name(s) == name) return s;
  }
  return make_error(Errc::invalid_argument, "unknown task state '" + std::string(name) +
                                                "' (pending, running, backoff, failed, finished)");
}

std::string encode_task_report(const TaskReport& report) {
  json events = json::array();
  for (const auto& e : report.events) {
    json j = {{"task", e.task_id}, {"deployment", e.deployment}, {"kind", task_event_name(e.kind)},
              {"ts_ns", e.ts_ns}, {"message", e.message}};
    if (e.kind == TaskEventKind::exited) {
      j["exit_code"] = e.exit.code;
      j["signal"] = e.exit.signal;
      if (!e.exit.reason.empty()) j["reason"] = e.exit.reason;
    }
    if (e.delay_ms) j["delay_ms"] = e.delay_ms;
    events.push_back(std::move(j));
  }
  json out = {{"events", std::move(events)}};
  if (report.tasks) {
    json tasks = json::array();
    for (const auto& s : *report.tasks) {
      tasks.push_back({{"spec", task_spec_to_json(s.spec)}, {"state", task_state_name(s.state)},
                       {"restarts", s.restarts}, {"last_error", s.last_error}});
    }
    out["tasks"] = std::move(tasks);
  }
  if (!report.attributes.empty()) out["attributes"] = report.attributes;
  return out.dump();
}

Result<TaskReport> decode_task_report(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error(Errc::invalid_argument, "task report: not valid JSON");
  IOT_TRY(only_keys(j, "task report", {"events", "tasks", "attributes"}));
  TaskReport r;
  if (auto it = j.find("events"); it != j.end()) {
    if (!it->is_array()) return bad("events", "expected an array");
    for (size_t i = 0; i < it->size(); ++i) {
      IOT_ASSIGN(auto e, event_from_json((*it)[i], "events[" + std::to_string(i) + "]"));
      r.events.push_back(std::move(e));
    }
  }
  if (auto it = j.find("tasks"); it != j.end()) {
    if (!it->is_array()) return bad("tasks", "expected an array");
    r.tasks.emplace();
    for (size_t i = 0; i < it->size(); ++i) {
      IOT_ASSIGN(auto s, status_from_json((*it)[i], "tasks[" + std::to_string(i) + "]"));
      r.tasks->push_back(std::move(s));
    }
  }
  if (auto it = j.find("attributes"); it != j.end()) {
    if (!it->is_object()) return bad("attributes", "expected an object of task id → {name: value}");
    for (auto t = it->begin(); t != it->end(); ++t) {
      if (!t->is_object()) return bad("attributes." + t.key(), "expected an object of name → string");
      for (auto a = t->begin(); a != t->end(); ++a) {
        if (!a->is_string()) return bad("attributes." + t.key() + "." + a.key(), "expected a string");
        r.attributes[t.key()][a.key()] = a->get<std::string>();
      }
    }
  }
  return r;
}

}  // namespace iotwins::runtime
