#include "runtime/task_spec.h"

#include <cmath>
#include <set>

#include "runtime/task_spec_json.h"

namespace iotwins::runtime {
namespace {

using nlohmann::json;

constexpr size_t kMaxSpecBytes = 1 << 20;
constexpr size_t kMaxItems = 1024;

std::unexpected<Error> bad(const std::string& where, const std::string& what) {
  return make_error(Errc::invalid_argument, where + ": " + what);
}

// Reads the fields of one JSON object, rejecting unknown ones.
class Fields {
 public:
  Fields(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  Status check_object(std::initializer_list<std::string_view> known) const {
    if (!j_.is_object()) return bad(where_, "must be an object");
    for (const auto& [k, v] : j_.items()) {
      bool found = false;
      for (auto name : known) found = found || name == k;
      if (!found) return bad(at(k), "unknown field");
    }
    return ok();
  }
  std::string at(std::string_view key) const { return where_ + "." + std::string(key); }

  Status str(std::string_view key, std::string& out) const {
    auto it = j_.find(key);
    if (it == j_.end()) return ok();
    if (!it->is_string()) return bad(at(key), "must be a string");
    out = it->get<std::string>();
    return ok();
  }
  Status boolean(std::string_view key, bool& out) const {
    auto it = j_.find(key);
    if (it == j_.end()) return ok();
    if (!it->is_boolean()) return bad(at(key), "must be true or false");
    out = it->get<bool>();
    return ok();
  }
  template <class Int>
  Status integer(std::string_view key, Int& out, int64_t min, int64_t max) const {
    auto it = j_.find(key);
    if (it == j_.end()) return ok();
    if (!it->is_number_integer()) return bad(at(key), "must be an integer");
    if (it->is_number_unsigned() ? it->get<uint64_t>() > static_cast<uint64_t>(max)
                                 : (it->get<int64_t>() < min || it->get<int64_t>() > max)) {
      return bad(at(key), "must be in " + std::to_string(min) + ".." + std::to_string(max));
    }
    out = static_cast<Int>(it->is_number_unsigned() ? static_cast<int64_t>(it->get<uint64_t>()) : it->get<int64_t>());
    return ok();
  }
  Status number(std::string_view key, double& out, double min, double max) const {
    auto it = j_.find(key);
    if (it == j_.end()) return ok();
    if (!it->is_number()) return bad(at(key), "must be a number");
    double v = it->get<double>();
    if (!std::isfinite(v) || v < min || v > max) {
      return bad(at(key), "must be in " + json(min).dump() + ".." + json(max).dump());
    }
    out = v;
    return ok();
  }
  Status strings(std::string_view key, std::vector<std::string>& out) const {
    auto it = j_.find(key);
    if (it == j_.end()) return ok();
    if (!it->is_array()) return bad(at(key), "must be an array of strings");
    if (it->size() > kMaxItems) return bad(at(key), "more than " + std::to_string(kMaxItems) + " items");
    out.clear();
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) return bad(at(key) + "[" + std::to_string(i) + "]", "must be a string");
      out.push_back((*it)[i].get<std::string>());
    }
    return ok();
  }
  const json* sub(std::string_view key) const {
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }

 private:
  const json& j_;
  std::string where_;
};

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool valid_env_name(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool is_sha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// No absolute path and no ".." component: a workdir stays inside the task directory.
bool inside_relative(const std::string& path) {
  if (path.empty()) return true;
  if (path[0] == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

Result<RestartMode> parse_restart_mode(const std::string& s, const std::string& where) {
  if (s == "always") return RestartMode::always;
  if (s == "on-failure") return RestartMode::on_failure;
  if (s == "never") return RestartMode::never;
  return bad(where, "must be one of always, on-failure, never (got '" + s + "')");
}

Result<HealthKind> parse_health_kind(const std::string& s, const std::string& where) {
  if (s == "none") return HealthKind::none;
  if (s == "tcp") return HealthKind::tcp;
  if (s == "http") return HealthKind::http;
  if (s == "command") return HealthKind::command;
  return bad(where, "must be one of none, tcp, http, command (got '" + s + "')");
}

}  // namespace

std::string_view restart_mode_name(RestartMode mode) {
  switch (mode) {
    case RestartMode::always: return "always";
    case RestartMode::on_failure: return "on-failure";
    case RestartMode::never: return "never";
  }
  return "?";
}

std::string_view health_kind_name(HealthKind kind) {
  switch (kind) {
    case HealthKind::none: return "none";
    case HealthKind::tcp: return "tcp";
    case HealthKind::http: return "http";
    case HealthKind::command: return "command";
  }
  return "?";
}

Status validate_task_spec(const TaskSpec& s) {
  std::string where = "task " + (s.id.empty() ? std::string("(no id)") : s.id);
  if (s.id.empty() || s.id.size() > 128 || s.id == "." || s.id == ".." ||
      !std::all_of(s.id.begin(), s.id.end(), is_id_char)) {
    return bad(where + ": id", "must be 1..128 of [A-Za-z0-9._-], not '.' or '..'");
  }
  if (s.driver == "exec" || s.driver == "sandbox") {
    if (s.command.empty() && s.artifact_sha256.empty()) return bad(where, "an " + s.driver + " task needs command or artifact");
    if (!s.command.empty() && s.command[0] != '/') return bad(where + ": command", "must be an absolute path");
  } else if (s.driver == "oci") {
    if (s.image.empty()) return bad(where + ": image", "an oci task needs an image");
  } else if (s.driver == "builtin") {
    if (s.builtin.empty()) return bad(where + ": builtin", "a builtin task needs the operator's name");
  } else {
    return bad(where + ": driver", "must be one of exec, sandbox, oci, builtin (got '" + s.driver + "')");
  }
  json cfg = json::parse(s.config_json, nullptr, false);
  if (cfg.is_discarded() || !cfg.is_object()) return bad(where + ": config", "must be a JSON object");
  if (!s.artifact_sha256.empty() && !is_sha256(s.artifact_sha256)) {
    return bad(where + ": artifact", "must be 64 lowercase hex digits (a sha256)");
  }
  for (const auto& [k, v] : s.env) {
    if (!valid_env_name(k)) return bad(where + ": env." + k, "must be a name of [A-Za-z0-9_], not starting with a digit");
  }
  if (!inside_relative(s.workdir)) return bad(where + ": workdir", "must be relative to the task directory, without '..'");
  const auto& r = s.restart;
  if (r.max_restarts < 0) return bad(where + ": restart.max_restarts", "must be >= 0");
  if (r.window_ms <= 0) return bad(where + ": restart.window_ms", "must be > 0");
  if (r.initial_backoff_ms < 0 || r.max_backoff_ms < r.initial_backoff_ms) {
    return bad(where + ": restart", "need 0 <= initial_backoff_ms <= max_backoff_ms");
  }
  if (!(r.jitter >= 0 && r.jitter <= 1)) return bad(where + ": restart.jitter", "must be in 0..1");
  const auto& h = s.health;
  if ((h.kind == HealthKind::tcp || h.kind == HealthKind::http) && (h.port < 1 || h.port > 65535)) {
    return bad(where + ": health.port", "must be in 1..65535");
  }
  if (h.kind == HealthKind::http && (h.path.empty() || h.path[0] != '/')) return bad(where + ": health.path", "must start with '/'");
  if ((h.kind == HealthKind::tcp || h.kind == HealthKind::http) && s.driver == "sandbox" && !s.network) {
    // --unshare-net gives the task its own loopback, which the agent cannot reach.
    return bad(where + ": health.kind", "a " + std::string(health_kind_name(h.kind)) +
                                            " check of a sandbox task needs network: true (its loopback is private)");
  }
  if (h.kind == HealthKind::command && h.command.empty()) return bad(where + ": health.command", "must not be empty");
  if (h.kind != HealthKind::none) {
    if (h.interval_ms <= 0 || h.timeout_ms <= 0) return bad(where + ": health", "interval_ms and timeout_ms must be > 0");
    if (h.failure_threshold < 1) return bad(where + ": health.failure_threshold", "must be >= 1");
  }
  if (!(s.resources.cpu >= 0)) return bad(where + ": resources.cpu", "must be >= 0");
  return ok();
}

json task_spec_to_json(const TaskSpec& s) {
  json j = {{"id", s.id}, {"deployment", s.deployment}, {"driver", s.driver}};
  if (!s.artifact_sha256.empty()) j["artifact"] = s.artifact_sha256;
  if (!s.command.empty()) j["command"] = s.command;
  if (!s.args.empty()) j["args"] = s.args;
  if (!s.env.empty()) j["env"] = s.env;
  if (!s.workdir.empty()) j["workdir"] = s.workdir;
  if (!s.image.empty()) j["image"] = s.image;
  if (!s.builtin.empty()) j["builtin"] = s.builtin;
  if (!s.builtin.empty() || s.config_json != "{}") j["config"] = json::parse(s.config_json, nullptr, false);
  j["resources"] = {{"cpu", s.resources.cpu}, {"memory_bytes", s.resources.memory_bytes},
                    {"cpu_seconds", s.resources.cpu_seconds}, {"open_files", s.resources.open_files}};
  j["restart"] = {{"mode", restart_mode_name(s.restart.mode)}, {"max_restarts", s.restart.max_restarts},
                  {"window_ms", s.restart.window_ms}, {"initial_backoff_ms", s.restart.initial_backoff_ms},
                  {"max_backoff_ms", s.restart.max_backoff_ms}, {"jitter", s.restart.jitter}};
  const auto& h = s.health;
  j["health"] = {{"kind", health_kind_name(h.kind)}, {"port", h.port}, {"path", h.path}, {"command", h.command},
                 {"interval_ms", h.interval_ms}, {"timeout_ms", h.timeout_ms},
                 {"failure_threshold", h.failure_threshold}};
  j["network"] = s.network;
  j["inputs"] = s.inputs;
  j["outputs"] = s.outputs;
  return j;
}

Result<TaskSpec> task_spec_from_json(const json& j, const std::string& where) {
  TaskSpec s;
  Fields f(j, where);
  IOT_TRY(f.check_object({"id", "deployment", "driver", "artifact", "command", "args", "env", "workdir", "image",
                          "builtin", "config", "resources", "restart", "health", "network", "inputs", "outputs"}));
  if (!j.contains("id")) return bad(where + ".id", "missing");
  if (!j.contains("driver")) return bad(where + ".driver", "missing");
  IOT_TRY(f.str("id", s.id));
  IOT_TRY(f.str("deployment", s.deployment));
  IOT_TRY(f.str("driver", s.driver));
  IOT_TRY(f.str("artifact", s.artifact_sha256));
  IOT_TRY(f.str("command", s.command));
  IOT_TRY(f.strings("args", s.args));
  if (const json* env = f.sub("env")) {
    if (!env->is_object()) return bad(f.at("env"), "must be an object of strings");
    for (const auto& [k, v] : env->items()) {
      if (!v.is_string()) return bad(f.at("env") + "." + k, "must be a string");
      s.env[k] = v.get<std::string>();
    }
  }
  IOT_TRY(f.str("workdir", s.workdir));
  IOT_TRY(f.str("image", s.image));
  IOT_TRY(f.str("builtin", s.builtin));
  if (const json* cfg = f.sub("config")) {
    if (!cfg->is_object()) return bad(f.at("config"), "must be an object");
    s.config_json = cfg->dump();
  }
  if (const json* r = f.sub("resources")) {
    Fields rf(*r, f.at("resources"));
    IOT_TRY(rf.check_object({"cpu", "memory_bytes", "cpu_seconds", "open_files"}));
    IOT_TRY(rf.number("cpu", s.resources.cpu, 0, 4096));
    IOT_TRY(rf.integer("memory_bytes", s.resources.memory_bytes, 0, INT64_MAX));
    IOT_TRY(rf.integer("cpu_seconds", s.resources.cpu_seconds, 0, INT64_MAX));
    IOT_TRY(rf.integer("open_files", s.resources.open_files, 0, 1 << 20));
  }
  if (const json* r = f.sub("restart")) {
    Fields rf(*r, f.at("restart"));
    IOT_TRY(rf.check_object({"mode", "max_restarts", "window_ms", "initial_backoff_ms", "max_backoff_ms", "jitter"}));
    std::string mode = std::string(restart_mode_name(s.restart.mode));
    IOT_TRY(rf.str("mode", mode));
    IOT_ASSIGN(s.restart.mode, parse_restart_mode(mode, rf.at("mode")));
    IOT_TRY(rf.integer("max_restarts", s.restart.max_restarts, 0, 1'000'000));
    IOT_TRY(rf.integer("window_ms", s.restart.window_ms, 1, INT64_MAX / 4));
    IOT_TRY(rf.integer("initial_backoff_ms", s.restart.initial_backoff_ms, 0, INT64_MAX / 4));
    IOT_TRY(rf.integer("max_backoff_ms", s.restart.max_backoff_ms, 0, INT64_MAX / 4));
    IOT_TRY(rf.number("jitter", s.restart.jitter, 0, 1));
  }
  if (const json* h = f.sub("health")) {
    Fields hf(*h, f.at("health"));
    IOT_TRY(hf.check_object({"kind", "port", "path", "command", "interval_ms", "timeout_ms", "failure_threshold"}));
    std::string kind = "none";
    IOT_TRY(hf.str("kind", kind));
    IOT_ASSIGN(s.health.kind, parse_health_kind(kind, hf.at("kind")));
    IOT_TRY(hf.integer("port", s.health.port, 0, 65535));
    IOT_TRY(hf.str("path", s.health.path));
    IOT_TRY(hf.strings("command", s.health.command));
    IOT_TRY(hf.integer("interval_ms", s.health.interval_ms, 1, INT64_MAX / 4));
    IOT_TRY(hf.integer("timeout_ms", s.health.timeout_ms, 1, INT64_MAX / 4));
    IOT_TRY(hf.integer("failure_threshold", s.health.failure_threshold, 1, 1'000'000));
  }
  IOT_TRY(f.boolean("network", s.network));
  IOT_TRY(f.strings("inputs", s.inputs));
  IOT_TRY(f.strings("outputs", s.outputs));
  if (auto st = validate_task_spec(s); !st) {
    return std::unexpected(std::move(st).error().context(where));
  }
  return s;
}

Result<TaskSpec> decode_task_spec(std::string_view text) {
  if (text.size() > kMaxSpecBytes) return make_error(Errc::too_large, "task spec over 1 MiB");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error(Errc::invalid_argument, "task spec: not valid JSON");
  return task_spec_from_json(j, "task");
}

std::string encode_task_spec(const TaskSpec& spec) { return task_spec_to_json(spec).dump(); }

Result<std::vector<TaskSpec>> decode_task_specs(std::string_view text) {
  if (text.size() > 64 * kMaxSpecBytes) return make_error(Errc::too_large, "task set over 64 MiB");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error(Errc::invalid_argument, "task set: not valid JSON");
  if (!j.is_array()) return make_error(Errc::invalid_argument, "task set: must be an array");
  std::vector<TaskSpec> out;
  std::set<std::string> ids;
  for (size_t i = 0; i < j.size(); ++i) {
    IOT_ASSIGN(auto spec, task_spec_from_json(j[i], "tasks[" + std::to_string(i) + "]"));
    if (!ids.insert(spec.id).second) {
      return make_error(Errc::invalid_argument, "tasks[" + std::to_string(i) + "]: duplicate id '" + spec.id + "'");
    }
    out.push_back(std::move(spec));
  }
  return out;
}

std::string encode_task_specs(const std::vector<TaskSpec>& specs) {
  json j = json::array();
  for (const auto& s : specs) j.push_back(task_spec_to_json(s));
  return j.dump();
}

}  // namespace iotwins::runtime
