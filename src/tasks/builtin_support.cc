#include "tasks/builtin_support.h"

#include <cmath>
#include <cstdio>

#include "dataplane/codec/telemetry.h"
#include "tosca/scalars.h"

namespace iotwins::tasks::builtin {

using nlohmann::json;

Result<Config> Config::parse(const std::string& type, const std::string& config_json) {
  Config c;
  c.type_ = type;
  c.json_ = json::parse(config_json.empty() ? std::string("{}") : config_json, nullptr, false);
  if (!c.json_.is_object()) return make_error(Errc::invalid_argument, type + " config: not a JSON object");
  return c;
}

Error Config::bad(const std::string& key, const std::string& what) const {
  return Error(Errc::invalid_argument, type_ + " config." + key + ": " + what);
}

bool Config::has(const std::string& key) const { return json_.contains(key) && !json_[key].is_null(); }

Result<std::string> Config::text(const std::string& key, const std::string& fallback) const {
  if (!has(key)) return fallback;
  const json& v = json_[key];
  if (!v.is_string()) return std::unexpected(bad(key, "must be a string, got " + v.dump()));
  return v.get<std::string>();
}

Result<std::string> Config::required_text(const std::string& key) const {
  IOT_ASSIGN(std::string s, text(key));
  if (s.empty()) return std::unexpected(bad(key, "is required (a non-empty string)"));
  return s;
}

Result<std::optional<double>> Config::number(const std::string& key) const {
  if (!has(key)) return std::optional<double>();
  const json& v = json_[key];
  if (!v.is_number() || !std::isfinite(v.get<double>())) return std::unexpected(bad(key, "must be a number, got " + v.dump()));
  return std::optional<double>(v.get<double>());
}

Result<std::optional<int64_t>> Config::integer(const std::string& key) const {
  if (!has(key)) return std::optional<int64_t>();
  const json& v = json_[key];
  if (v.is_number_integer()) return std::optional<int64_t>(v.get<int64_t>());
  if (v.is_string()) {  // TOSCA strings such as model_version: "3"
    const std::string s = v.get<std::string>();
    int64_t n = 0;
    size_t used = 0;
    if (std::sscanf(s.c_str(), "%ld%zn", &n, &used) == 1 && used == s.size()) return std::optional<int64_t>(n);
  }
  return std::unexpected(bad(key, "must be an integer, got " + v.dump()));
}

Result<std::optional<std::chrono::duration<double>>> Config::duration(const std::string& key) const {
  using Out = std::optional<std::chrono::duration<double>>;
  if (!has(key)) return Out();
  const json& v = json_[key];
  double seconds = 0;
  if (v.is_number()) {
    seconds = v.get<double>();
  } else if (v.is_string()) {
    auto parsed = tosca::parse_scalar_unit(v.get<std::string>(), tosca::ScalarUnitKind::time);
    if (!parsed) {
      return std::unexpected(bad(key, "'" + v.get<std::string>() + "' is not a time (a number and one of " +
                                          tosca::scalar_units_list(tosca::ScalarUnitKind::time) + ", e.g. \"1 s\")"));
    }
    seconds = parsed->base;
  } else {
    return std::unexpected(bad(key, "must be a time such as \"1 s\", got " + v.dump()));
  }
  if (!std::isfinite(seconds) || seconds <= 0) return std::unexpected(bad(key, "must be greater than 0 s, got " + v.dump()));
  return Out(std::chrono::duration<double>(seconds));
}

Result<std::vector<std::string>> Config::strings(const std::string& key) const {
  std::vector<std::string> out;
  if (!has(key)) return out;
  const json& v = json_[key];
  if (v.is_string()) return std::vector<std::string>{v.get<std::string>()};
  if (!v.is_array()) return std::unexpected(bad(key, "must be a list of strings, got " + v.dump()));
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string() || v[i].get<std::string>().empty()) {
      return std::unexpected(bad(key + "[" + std::to_string(i) + "]", "must be a non-empty string, got " + v[i].dump()));
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

void Inbox::push(std::string source, std::string_view record) {
  std::lock_guard lock(mu_);
  if (queue_.size() >= kMaxQueued) {
    ++dropped_;
    return;
  }
  queue_.push_back({std::move(source), std::string(record)});
  cv_.notify_one();
}

Status Inbox::subscribe_inputs(const runtime::BuiltinContext& ctx) {
  if (ctx.inputs.empty()) return ok();
  if (!ctx.streams) return make_error(Errc::unavailable, "task " + ctx.task_id + " has inputs but no stream hub");
  for (const auto& address : ctx.inputs) {
    auto sub = ctx.streams->subscribe(address, [this, address](std::string_view record) { push(address, record); });
    if (!sub) return std::unexpected(std::move(sub).error().context("input " + address));
    subs_.push_back(std::move(*sub));
  }
  return ok();
}

std::deque<Inbox::Item> Inbox::take(std::stop_token stop, std::chrono::steady_clock::time_point until) {
  std::deque<Item> out;
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, stop, until, [&] { return !queue_.empty(); });
  out.swap(queue_);
  return out;
}

uint64_t Inbox::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void Outputs::publish(std::string_view record) {
  for (const auto& address : addresses_) {
    Status st = streams_ ? streams_->publish(address, record)
                         : make_error(Errc::unavailable, "no stream hub");
    if (st) {
      ++published_;
    } else {
      ++failures_;
    }
  }
}

bool sleep_until(std::stop_token stop, std::chrono::steady_clock::time_point until) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  return !cv.wait_until(lock, stop, until, [] { return false; }) && !stop.stop_requested();
}

Result<std::unique_ptr<api::HttpClient>> server_client(const runtime::NodeContext& node) {
  if (node.server_url.empty()) return make_error(Errc::unavailable, "the node knows no server URL");
  api::ClientOptions o;
  o.ca_file = node.ca_file;
  o.bearer_token = node.bearer_token;
  o.request_timeout = std::chrono::seconds(30);
  return api::HttpClient::create(node.server_url, o);
}

std::string twin_of(const json& record, std::string_view topic, const std::string& fallback) {
  if (record.is_object() && record.contains("twin") && record["twin"].is_string()) return record["twin"].get<std::string>();
  constexpr std::string_view prefix = "iotwins/";
  if (topic.starts_with(prefix)) {
    std::string_view rest = topic.substr(prefix.size());
    size_t slash = rest.find('/');
    if (slash != std::string_view::npos && slash > 0) return std::string(rest.substr(0, slash));
  }
  return fallback;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int64_t record_ts_ms(const json& record) {
  if (record.is_object() && record.contains("ts")) {
    const json& ts = record["ts"];
    if (ts.is_number()) return ts.get<int64_t>();
    if (ts.is_string()) {
      if (auto ns = dataplane::parse_rfc3339(ts.get<std::string>())) return *ns / 1'000'000;
    }
  }
  return now_ms();
}

std::string seconds_text(double seconds) {
  char buf[64];
  if (seconds < 1) {
    std::snprintf(buf, sizeof buf, "%g ms", seconds * 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%g s", seconds);
  }
  return buf;
}

}  // namespace iotwins::tasks::builtin
