#include "tasks/inference.h"

#include <algorithm>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "tasks/http.h"

#include "analytics/windowed.h"
#include "api/http_client.h"
#include "dataplane/objects/chunk.h"
#include "mqtt/client.h"

namespace iotwins::tasks {
namespace {

using nlohmann::json;

struct Loaded {
  int64_t version = 0;
  std::string twin;
  std::vector<std::string> properties;
  std::unique_ptr<analytics::SeriesDetector> detector;
};

// The promoted version of `model` (0 when none).
Result<int64_t> promoted(api::HttpClient& server, const std::string& model) {
  IOT_ASSIGN(json m, get_json(server, "/api/v1/models/" + api::percent_encode(model)));
  return m["promoted_version"].is_number() ? m["promoted_version"].get<int64_t>() : 0;
}

Result<Loaded> load(api::HttpClient& server, const std::string& model, int64_t version, const std::string& twin_override) {
  IOT_ASSIGN(json v, get_json(server, "/api/v1/models/" + api::percent_encode(model) + "/versions/" + std::to_string(version)));
  Loaded out;
  out.version = version;
  for (const auto& s : v["lineage"]["series"]) {
    std::string text = s.get<std::string>();
    size_t slash = text.find('/');
    if (slash == std::string::npos) return make_error(Errc::invalid_argument, "lineage series '" + text + "' is not twin/property");
    if (out.twin.empty()) out.twin = text.substr(0, slash);
    out.properties.push_back(text.substr(slash + 1));
  }
  if (out.properties.empty()) return make_error(Errc::invalid_argument, model + " v" + std::to_string(version) + ": no series in its lineage");
  if (!twin_override.empty()) out.twin = twin_override;
  std::string sha = v.value("sha256", "");
  IOT_ASSIGN(auto res, server.request(api::Method::GET, "/api/v1/artifacts/" + sha));
  if (!res.ok()) return std::unexpected(api::error_from_response(res, "artifact " + sha));
  if (dataplane::sha256_hex(res.body) != sha) return make_error(Errc::corruption, "artifact " + sha + ": the bytes do not match their sha256");
  IOT_ASSIGN(out.detector, analytics::SeriesDetector::deserialize(res.body));
  if (out.detector->dimension() != static_cast<int>(out.properties.size())) {
    return make_error(Errc::invalid_argument, model + " v" + std::to_string(version) + ": the model has " +
                                                  std::to_string(out.detector->dimension()) + " variables, its lineage " +
                                                  std::to_string(out.properties.size()));
  }
  return out;
}

// The first of `used` not in `allowed` ("" when all are, or when `allowed` is empty).
std::string not_among(const std::vector<std::string>& used, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return "";
  for (const auto& u : used) {
    if (std::find(allowed.begin(), allowed.end(), u) == allowed.end()) return u;
  }
  return "";
}

}  // namespace

void TelemetryFeed::push(std::string_view twin, std::string_view json_object) {
  auto j = json::parse(json_object, nullptr, false);
  if (!j.is_object()) return;
  TelemetryRow r;
  r.ts_ms = j.contains("ts") && j["ts"].is_number() ? j["ts"].get<int64_t>() : 0;
  for (auto& [k, v] : j.items()) {
    if (v.is_number() && k != "ts") r.values[k] = v.get<double>();
  }
  std::lock_guard lock(mu_);
  if (twin != watched_ || queue_.size() >= kMaxQueued) return;
  queue_.push_back(std::move(r));
  cv_.notify_one();
}

void TelemetryFeed::watch(const std::string& twin) {
  std::lock_guard lock(mu_);
  watched_ = twin;
  queue_.clear();
}

std::deque<TelemetryRow> TelemetryFeed::take(std::chrono::milliseconds wait) {
  std::deque<TelemetryRow> rows;
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, wait, [&] { return !queue_.empty(); });
  rows.swap(queue_);
  return rows;
}

Result<InferenceStats> run_inference(const InferenceOptions& o) {
  auto say = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };
  api::ClientOptions copts;
  copts.ca_file = o.ca_file;
  copts.bearer_token = o.bearer_token;
  copts.request_timeout = std::chrono::seconds(10);
  IOT_ASSIGN(auto server, api::HttpClient::create(o.server_url, copts));

  // Telemetry of every twin arrives; rows of the model's twin are queued for the scoring loop.
  std::shared_ptr<TelemetryFeed> feed = o.feed ? o.feed : std::make_shared<TelemetryFeed>();
  std::unique_ptr<mqtt::MqttClient> broker;
  if (o.follow_broker || !o.broker_url.empty()) {
    std::optional<mqtt::MqttClient::Subscription> sub;
    if (o.follow_broker) {
      sub.emplace();
      sub->filters = {"iotwins/+/telemetry"};
      sub->on_message = [feed](std::string_view topic, std::string_view payload, int, bool) {
        constexpr std::string_view prefix = "iotwins/", suffix = "/telemetry";
        if (!topic.starts_with(prefix) || !topic.ends_with(suffix)) return;
        feed->push(topic.substr(prefix.size(), topic.size() - prefix.size() - suffix.size()), payload);
      };
    }
    IOT_ASSIGN(broker, mqtt::MqttClient::connect(o.broker_url, o.client_id.empty() ? "iotwins-inference-" + o.model : o.client_id,
                                                   std::move(sub)));
  }
  auto publish = [&](const std::string& topic, const std::string& payload) {
    if (broker) (void)broker->publish(topic, payload, 1);
  };

  InferenceStats stats;
  std::optional<Loaded> model;
  auto last_poll = std::chrono::steady_clock::time_point{};
  auto last_report = std::chrono::steady_clock::time_point{};
  std::string last_health;
  bool in_anomaly = false;
  int normal_run = 0;
  std::map<std::string, double> latest;
  bool said_waiting = false;
  int64_t refused = 0;  // a version that failed to load is not tried again until another one is promoted
  while (!o.stop.stop_requested()) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_poll >= o.poll) {
      last_poll = now;
      auto v = o.version > 0 ? Result<int64_t>(o.version) : promoted(*server, o.model);
      // No such model yet (a trainer has not registered one): wait for it.
      if (!v && v.error().code() == Errc::not_found) v = 0;
      if (v && *v == 0 && !model && !said_waiting) {
        said_waiting = true;
        say("waiting for a version of model " + o.model);
      }
      if (!v) {
        say("registry: " + v.error().message() + " (retrying)");
      } else if (*v == 0 && model) {
        say(o.model + " has no promoted version any more: scoring stops");
        model.reset();
      } else if (*v > 0 && *v != refused && (!model || model->version != *v)) {
        auto loaded = load(*server, o.model, *v, o.twin);
        if (!loaded && o.version > 0 && loaded.error().code() == Errc::not_found) {
          if (!said_waiting) say("waiting for version " + std::to_string(o.version) + " of model " + o.model);
          said_waiting = true;
        } else if (!loaded) {
          say(o.model + " v" + std::to_string(*v) + " not loaded: " + loaded.error().message());
          refused = *v;
        } else if (auto missing = not_among(loaded->properties, o.variables); !missing.empty()) {
          say(o.model + " v" + std::to_string(*v) + " not loaded: it reads " + missing + ", not among the task's inputs");
          refused = *v;
        } else {
          say(o.model + " version " + std::to_string(*v) + " live on " + loaded->twin + " (" +
              std::to_string(loaded->properties.size()) + " variables" +
              (model ? ", was version " + std::to_string(model->version) : std::string()) + ")");
          if (model) ++stats.model_swaps;
          model = std::move(*loaded);
          in_anomaly = false;
          normal_run = 0;
          latest.clear();
          feed->watch(model->twin);
          if (o.on_live) o.on_live(model->twin, model->version);
        }
      }
    }
    std::deque<TelemetryRow> rows = feed->take(std::chrono::milliseconds(200));
    if (!model) continue;
    for (auto& r : rows) {
      for (auto& [k, v] : r.values) latest[k] = v;
      Eigen::VectorXd x(static_cast<Eigen::Index>(model->properties.size()));
      bool complete = true;
      for (size_t i = 0; i < model->properties.size(); ++i) {
        auto it = latest.find(model->properties[i]);
        if (it == latest.end()) {
          complete = false;
          break;
        }
        x(static_cast<Eigen::Index>(i)) = it->second;
      }
      bool carries = false;  // score on rows that bring one of the model's variables
      for (const auto& p : model->properties) carries = carries || r.values.contains(p);
      if (!complete || !carries) continue;
      auto d = model->detector->push(x);
      if (!d) continue;
      ++stats.rows;
      const double limit = d->threshold * o.limit_scale;
      const bool anomalous = d->score > limit;
      double ratio = limit > 0 ? d->score / limit : 0;
      std::string tag = o.model + "@" + std::to_string(model->version);
      const std::string base = "iotwins/" + model->twin;
      if (anomalous && !in_anomaly) {
        in_anomaly = true;
        ++stats.anomalies;
        std::vector<std::pair<double, std::string>> parts;
        for (size_t i = 0; i < d->contributions.size() && i < model->properties.size(); ++i) {
          parts.emplace_back(d->contributions[i], model->properties[i]);
        }
        std::sort(parts.rbegin(), parts.rend());
        json contrib = json::array();
        for (const auto& [share, name] : parts) contrib.push_back({{"variable", name}, {"share", share}});
        json ev = {{"score", d->score}, {"limit", limit}, {"model", tag}, {"contributions", contrib}};
        if (r.ts_ms) ev["ts"] = r.ts_ms;
        publish(base + "/events/anomaly", ev.dump());
        if (o.on_event) o.on_event(model->twin, "anomaly", ev.dump());
        say("anomaly on " + model->twin + ": score " + std::to_string(ratio) + " x the limit, led by " + parts.front().second);
      } else if (!anomalous && in_anomaly && ++normal_run >= o.clear_after) {
        in_anomaly = false;
        json ev = {{"model", tag}};
        if (r.ts_ms) ev["ts"] = r.ts_ms;
        publish(base + "/events/anomaly_cleared", ev.dump());
        if (o.on_event) o.on_event(model->twin, "anomaly_cleared", ev.dump());
      }
      if (anomalous) normal_run = 0;
      std::string health = in_anomaly ? "critical" : "ok";
      auto t = std::chrono::steady_clock::now();
      if (health != last_health || t - last_report >= o.report_every) {
        last_health = health;
        last_report = t;
        json rep = {{"health", health}, {"anomaly_score", ratio}, {"model", tag}};
        publish(base + "/reported", rep.dump());
      }
    }
  }
  return stats;
}

}  // namespace iotwins::tasks
