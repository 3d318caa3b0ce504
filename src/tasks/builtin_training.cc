// iotwins.nodes.Task.Training: a long-running trainer. When the twin's stored series hold enough
// rows it trains on the last `history`, registers the version, promotes it by the rule below, and
// trains again every `interval`. Records from its inputs are counted, and the first one naming a
// twin gives the trainer its twin when the config names none.
#include <cmath>

#include "tasks/builtin_support.h"
#include "tasks/builtins.h"
#include "tasks/http.h"
#include "tasks/training.h"

namespace iotwins::tasks {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

constexpr auto kRetry = std::chrono::seconds(30);  // at most, while waiting for data or the server

struct TrainerConfig {
  std::string model, twin, detector;
  std::vector<std::string> properties;
  Seconds history{3600}, interval{600};
  std::optional<Seconds> step;
  size_t min_rows = 60;
};

// "90s" for the series API: whole seconds, at least 1.
std::string api_seconds(Seconds s) { return std::to_string(std::max<int64_t>(1, std::llround(s.count()))) + "s"; }

class TrainingTask : public runtime::BuiltinTask {
 public:
  TrainingTask(runtime::BuiltinContext ctx, TrainerConfig config) : ctx_(std::move(ctx)), c_(std::move(config)) {}

  Status run(std::stop_token stop) override {
    builtin::Inbox inbox;
    IOT_TRY(inbox.subscribe_inputs(ctx_));
    IOT_ASSIGN(auto server, builtin::server_client(ctx_.node));
    const auto retry = std::chrono::duration_cast<Clock::duration>(std::min<Seconds>(c_.interval, kRetry));
    const auto interval = std::chrono::duration_cast<Clock::duration>(c_.interval);
    auto next = Clock::now();
    std::string waiting;  // the last waiting reason logged (said once per reason)
    while (!stop.stop_requested()) {
      for (auto& item : inbox.take(stop, next)) note_input(item);
      if (stop.stop_requested() || Clock::now() < next) continue;
      if (c_.twin.empty()) {
        say_waiting(waiting, "waiting for a twin: the config names none and no input record has named one yet");
        next = Clock::now() + retry;
        continue;
      }
      auto outcome = train_once(*server);
      if (!outcome) {
        say_waiting(waiting, "waiting: " + outcome.error().message());
        next = Clock::now() + retry;
        continue;
      }
      waiting.clear();
      next = Clock::now() + interval;
    }
    ctx_.log("stopped after " + std::to_string(trained_) + " trainings; " + std::to_string(inputs_) + " input records");
    return ok();
  }

 private:
  void note_input(const builtin::Inbox::Item& item) {
    ++inputs_;
    if (!c_.twin.empty()) return;
    json record = json::parse(item.record, nullptr, false);
    std::string twin = builtin::twin_of(record, "", "");
    if (twin.empty()) return;
    c_.twin = twin;
    ctx_.log("training for twin " + twin + ", named by a record from " + item.source);
  }

  void say_waiting(std::string& last, const std::string& why) {
    if (why == last) return;
    last = why;
    ctx_.log(why);
  }

  // The twin's measured (unlabelled) numeric series, when the config names no properties — not
  // the hybrid twin's derived `*_residual` series (live records do not carry them), nor a series
  // with fewer samples than the training needs rows (a reported flag such as `running`).
  Result<std::vector<std::string>> stored_properties(api::HttpClient& server) {
    IOT_ASSIGN(json list, get_json(server, "/api/v1/series?limit=1000&twin=" + api::percent_encode(c_.twin)));
    std::vector<std::string> out;
    for (const auto& item : list["items"]) {
      if (!item["labels"].empty() || !item["property"].is_string()) continue;
      std::string p = item["property"].get<std::string>();
      if (p.ends_with("_residual")) continue;
      if (item["count"].is_number_unsigned() && item["count"].get<uint64_t>() < c_.min_rows) continue;
      if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
    if (out.empty()) return make_error(Errc::not_found, "no stored series of twin " + c_.twin + " yet");
    return out;
  }

  Status train_once(api::HttpClient& server) {
    TrainingSpec spec;
    spec.model = c_.model;
    spec.twin = c_.twin;
    spec.detector = c_.detector;
    spec.created_by = "task " + ctx_.task_id;
    spec.min_rows = c_.min_rows;
    spec.from = "-" + api_seconds(c_.history);
    spec.to = "now";
    // Rows are `step` buckets: by default about 3,600 of them over the history, at least 1 s.
    spec.step = api_seconds(c_.step.value_or(std::max<Seconds>(Seconds(1), c_.history / 3600)));
    if (c_.properties.empty()) {
      IOT_ASSIGN(spec.properties, stored_properties(server));
    } else {
      spec.properties = c_.properties;
    }
    IOT_ASSIGN(auto result, train(server, spec, [this](const std::string& line) { ctx_.log(line); }));
    ++trained_;
    return promote_if_not_worse(server, result);
  }

  // The rule: the first version is promoted; a later one when its training alarm rate is not
  // above the promoted version's (the registry's metric; a promoted version without it is replaced).
  Status promote_if_not_worse(api::HttpClient& server, const TrainingResult& r) {
    const std::string base = "/api/v1/models/" + api::percent_encode(c_.model);
    IOT_ASSIGN(json model, get_json(server, base));
    int64_t current = model["promoted_version"].is_number() ? model["promoted_version"].get<int64_t>() : 0;
    if (current > 0 && current != r.version) {
      IOT_ASSIGN(json v, get_json(server, base + "/versions/" + std::to_string(current)));
      const json& rate = v["metrics"]["training_alarm_rate"];
      if (rate.is_number() && r.training_alarm_rate > rate.get<double>()) {
        ctx_.log("version " + std::to_string(r.version) + " not promoted: its training alarm rate " +
                 std::to_string(r.training_alarm_rate) + " is above version " + std::to_string(current) + "'s " +
                 std::to_string(rate.get<double>()));
        return ok();
      }
    }
    IOT_TRY(request_json(server, api::Method::POST, base + "/versions/" + std::to_string(r.version) + "/promote",
                         json{{"by", "task " + ctx_.task_id}}.dump()));
    ctx_.log("promoted " + c_.model + " version " + std::to_string(r.version) +
             (current > 0 ? " (was version " + std::to_string(current) + ")" : std::string()));
    return ok();
  }

  runtime::BuiltinContext ctx_;
  TrainerConfig c_;
  uint64_t trained_ = 0, inputs_ = 0;
};

}  // namespace

Result<std::unique_ptr<runtime::BuiltinTask>> make_training(const runtime::BuiltinContext& ctx) {
  IOT_ASSIGN(auto config, builtin::Config::parse(kTraining, ctx.config_json));
  TrainerConfig c;
  IOT_ASSIGN(c.model, config.required_text("model"));
  IOT_ASSIGN(auto history, config.duration("history"));
  if (history) c.history = *history;
  IOT_ASSIGN(auto interval, config.duration("interval"));
  if (interval) c.interval = *interval;
  IOT_ASSIGN(c.step, config.duration("step"));
  IOT_ASSIGN(auto epochs, config.integer("epochs"));
  if (epochs && *epochs < 1) return std::unexpected(config.bad("epochs", "must be at least 1"));
  IOT_ASSIGN(c.detector, config.text("detector", "pca"));
  if (auto p = detector_params(c.detector); !p) return std::unexpected(config.bad("detector", p.error().message()));
  IOT_ASSIGN(auto min_rows, config.integer("min_rows"));
  if (min_rows && (*min_rows < 2 || *min_rows > 10'000'000)) return std::unexpected(config.bad("min_rows", "must be 2..10000000"));
  if (min_rows) c.min_rows = static_cast<size_t>(*min_rows);
  IOT_ASSIGN(c.properties, config.strings("properties"));
  IOT_ASSIGN(std::string dataset, config.text("dataset"));
  IOT_ASSIGN(auto twins, config.twins());
  c.twin = !dataset.empty() ? dataset : twins.empty() ? std::string() : twins.front();
  auto task = std::make_unique<TrainingTask>(ctx, std::move(c));
  if (epochs && ctx.log) ctx.log("epochs " + std::to_string(*epochs) + ": the detectors fit in closed form, so it changes nothing");
  return std::unique_ptr<runtime::BuiltinTask>(std::move(task));
}

}  // namespace iotwins::tasks
