// iotwins.nodes.Task.Inference: run_inference for a chain — its twin from the `twin` requirement,
// rows from its input streams (else the broker's telemetry), events also to its outputs.
#include "tasks/builtin_support.h"
#include "tasks/builtins.h"
#include "tasks/inference.h"

namespace iotwins::tasks {
namespace {

using nlohmann::json;

class InferenceTask : public runtime::BuiltinTask {
 public:
  InferenceTask(runtime::BuiltinContext ctx, InferenceOptions options)
      : ctx_(std::move(ctx)), options_(std::move(options)), outputs_(ctx_) {}

  Status run(std::stop_token stop) override {
    InferenceOptions o = options_;
    o.stop = stop;
    o.feed = std::make_shared<TelemetryFeed>();
    // Rows come from the task's input streams when the chain wires some, else from the broker.
    o.follow_broker = ctx_.inputs.empty();
    if (o.follow_broker && ctx_.node.broker_url.empty()) {
      return make_error(Errc::unavailable, "the node runs no MQTT broker and the task has no input streams: nothing to score");
    }
    std::vector<std::unique_ptr<runtime::StreamSubscription>> subs;
    for (const auto& address : ctx_.inputs) {
      if (!ctx_.streams) return make_error(Errc::unavailable, "the task has inputs but no stream hub");
      const std::string fallback = o.twin;
      auto sub = ctx_.streams->subscribe(address, [feed = o.feed, fallback](std::string_view record) {
        json j = json::parse(record, nullptr, false);
        feed->push(builtin::twin_of(j, "", fallback), record);
      });
      if (!sub) return std::unexpected(std::move(sub).error().context("input " + address));
      subs.push_back(std::move(*sub));
    }
    o.progress = [this](const std::string& line) { ctx_.log(line); };
    o.on_live = [this](const std::string& twin, int64_t) { set_endpoint(twin); };
    o.on_event = [this](const std::string& twin, const std::string& type, const std::string& event_json) {
      json ev = json::parse(event_json, nullptr, false);
      json record = {{"twin", twin}, {"type", type}};
      record["ts"] = ev.is_object() && ev.contains("ts") ? ev["ts"] : json(builtin::now_ms());
      if (ev.is_object()) {
        for (auto& [k, v] : ev.items()) {
          if (!record.contains(k)) record[k] = v;
        }
      }
      outputs_.publish(record.dump());
    };
    if (!o.twin.empty()) set_endpoint(o.twin);
    auto stats = run_inference(o);
    subs.clear();
    if (!stats) return std::unexpected(std::move(stats).error());
    ctx_.log("scored " + std::to_string(stats->rows) + " rows, " + std::to_string(stats->anomalies) + " anomalies, " +
             std::to_string(stats->model_swaps) + " model swaps");
    return ok();
  }

 private:
  void set_endpoint(const std::string& twin) {
    if (!ctx_.set_attribute) return;
    if (!ctx_.node.broker_url.empty()) {
      ctx_.set_attribute("endpoint", ctx_.node.broker_url + "/iotwins/" + twin + "/events/anomaly");
    } else if (!outputs_.addresses().empty()) {
      ctx_.set_attribute("endpoint", outputs_.addresses().front());
    }
  }

  runtime::BuiltinContext ctx_;
  InferenceOptions options_;
  builtin::Outputs outputs_;
};

}  // namespace

Result<std::unique_ptr<runtime::BuiltinTask>> make_inference(const runtime::BuiltinContext& ctx) {
  IOT_ASSIGN(auto config, builtin::Config::parse(kInference, ctx.config_json));
  InferenceOptions o;
  IOT_ASSIGN(o.model, config.required_text("model"));
  IOT_ASSIGN(auto version, config.integer("model_version"));
  if (version && *version <= 0) return std::unexpected(config.bad("model_version", "must be a version number >= 1"));
  o.version = version.value_or(0);
  IOT_ASSIGN(auto threshold, config.number("threshold"));
  if (threshold && *threshold <= 0) {
    return std::unexpected(config.bad("threshold", "must be greater than 0 (a fraction of the model's own limit)"));
  }
  o.limit_scale = threshold.value_or(1.0);
  IOT_ASSIGN(o.variables, config.strings("inputs"));
  IOT_ASSIGN(auto twins, config.twins());
  if (!twins.empty()) o.twin = twins.front();
  o.server_url = ctx.node.server_url;
  o.ca_file = ctx.node.ca_file;
  o.bearer_token = ctx.node.bearer_token;
  o.broker_url = ctx.node.broker_url;
  o.client_id = "iotwins-task-" + ctx.task_id;
  return std::unique_ptr<runtime::BuiltinTask>(std::make_unique<InferenceTask>(ctx, std::move(o)));
}

}  // namespace iotwins::tasks
