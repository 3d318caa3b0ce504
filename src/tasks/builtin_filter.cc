// iotwins.nodes.Task.DataFilter: device messages and input records through a condition, passed on
// as they are or as one mean record per twin and window (builtins.h has the config).
#include <map>

#include "analytics/expr.h"
#include "mqtt/client.h"
#include "tasks/builtin_support.h"
#include "tasks/builtins.h"

namespace iotwins::tasks {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxTwins = 100'000;  // twins whose latest values are kept
constexpr auto kLogEvery = std::chrono::seconds(30);

struct Totals {
  uint64_t in = 0, passed = 0, out = 0, incomplete = 0, malformed = 0;
};

// Sums of the passing records of one twin in the current window.
struct WindowSums {
  std::map<std::string, std::pair<double, uint64_t>> fields;  // sum, records carrying it
  uint64_t count = 0;
};

class DataFilter : public runtime::BuiltinTask {
 public:
  DataFilter(runtime::BuiltinContext ctx, analytics::Expression expr, std::optional<std::chrono::duration<double>> window,
             std::vector<std::string> topics, std::vector<std::string> twins)
      : ctx_(std::move(ctx)), expr_(std::move(expr)), window_(window), topics_(std::move(topics)), twins_(std::move(twins)),
        outputs_(ctx_) {}

  Status run(std::stop_token stop) override {
    builtin::Inbox inbox;
    IOT_TRY(inbox.subscribe_inputs(ctx_));
    std::unique_ptr<mqtt::MqttClient> broker;
    if (!ctx_.node.broker_url.empty()) {
      mqtt::MqttClient::Subscription sub;
      sub.filters = topics_;
      sub.on_message = [&inbox](std::string_view topic, std::string_view payload, int, bool) {
        inbox.push(std::string(topic), payload);
      };
      IOT_ASSIGN(broker, mqtt::MqttClient::connect(ctx_.node.broker_url, "iotwins-task-" + ctx_.task_id, std::move(sub),
                                                   ctx_.node.ca_file));
    } else if (ctx_.inputs.empty()) {
      return make_error(Errc::unavailable, "the node runs no MQTT broker and the task has no input streams: nothing to filter");
    }
    std::string from;
    for (const auto& t : broker ? topics_ : std::vector<std::string>{}) from += (from.empty() ? "" : ", ") + t;
    for (const auto& a : ctx_.inputs) from += (from.empty() ? "" : ", ") + a;
    ctx_.log("filtering '" + expr_.text() + "' over " + from +
             (window_ ? ", one mean per twin every " + builtin::seconds_text(window_->count()) : std::string()));

    const auto window = std::chrono::duration_cast<Clock::duration>(window_.value_or(std::chrono::hours(1)));
    auto window_end = Clock::now() + window;
    auto next_log = Clock::now() + kLogEvery;
    while (!stop.stop_requested()) {
      auto until = std::min(next_log, window_ ? window_end : next_log);
      for (auto& item : inbox.take(stop, until)) handle(item);
      auto now = Clock::now();
      if (window_ && now >= window_end) {
        flush();
        while (window_end <= now) window_end += window;
      }
      if (now >= next_log) {
        log_counts(inbox);
        next_log = now + kLogEvery;
      }
    }
    log_counts(inbox);
    return ok();
  }

 private:
  void handle(const builtin::Inbox::Item& item) {
    ++totals_.in;
    json record = json::parse(item.record, nullptr, false);
    if (!record.is_object()) {
      ++totals_.malformed;
      return;
    }
    std::string twin = builtin::twin_of(record, item.source, twins_.empty() ? "" : twins_.front());
    if (twin.empty()) {
      ++totals_.malformed;  // no twin to keep latest values for or to aggregate under
      return;
    }
    std::map<std::string, double> fields;
    for (auto& [k, v] : record.items()) {
      if (v.is_number() && k != "ts" && k != "twin") fields[k] = v.get<double>();
    }
    auto latest_it = latest_.find(twin);
    values_.clear();
    for (const auto& name : expr_.variables()) {
      if (auto f = fields.find(name); f != fields.end()) {
        values_.push_back(f->second);
      } else if (latest_it != latest_.end() && latest_it->second.contains(name)) {
        values_.push_back(latest_it->second.at(name));
      } else {
        break;
      }
    }
    if (latest_it != latest_.end() || latest_.size() < kMaxTwins) {
      auto& latest = latest_[twin];
      for (const auto& [k, v] : fields) latest[k] = v;
    }
    if (values_.size() != expr_.variables().size()) {
      ++totals_.incomplete;
      return;
    }
    if (expr_.evaluate(values_) == 0) return;
    ++totals_.passed;
    if (window_) {
      auto& sums = windows_[twin];
      ++sums.count;
      for (const auto& [k, v] : fields) {
        auto& [sum, n] = sums.fields[k];
        sum += v;
        ++n;
      }
      return;
    }
    json out = {{"twin", twin}, {"ts", builtin::record_ts_ms(record)}};
    for (const auto& [k, v] : fields) out[k] = v;
    send(out);
  }

  void flush() {
    const int64_t ts = builtin::now_ms();
    for (const auto& [twin, sums] : windows_) {
      json out = {{"twin", twin}, {"ts", ts}};
      for (const auto& [k, sum_n] : sums.fields) out[k] = sum_n.first / static_cast<double>(sum_n.second);
      out["count"] = sums.count;
      send(out);
    }
    windows_.clear();
  }

  void send(const json& record) {
    ++totals_.out;
    outputs_.publish(record.dump());
  }

  void log_counts(const builtin::Inbox& inbox) {
    ctx_.log("in " + std::to_string(totals_.in) + ", passed " + std::to_string(totals_.passed) + ", out " +
             std::to_string(totals_.out) + " (incomplete " + std::to_string(totals_.incomplete) + ", malformed " +
             std::to_string(totals_.malformed) + ", dropped " + std::to_string(inbox.dropped()) + ", output failures " +
             std::to_string(outputs_.failures()) + ")");
  }

  runtime::BuiltinContext ctx_;
  analytics::Expression expr_;
  std::optional<std::chrono::duration<double>> window_;
  std::vector<std::string> topics_, twins_;
  builtin::Outputs outputs_;
  Totals totals_;
  std::vector<double> values_;
  std::map<std::string, std::map<std::string, double>> latest_;
  std::map<std::string, WindowSums> windows_;
};

}  // namespace

Result<std::unique_ptr<runtime::BuiltinTask>> make_data_filter(const runtime::BuiltinContext& ctx) {
  IOT_ASSIGN(auto config, builtin::Config::parse(kDataFilter, ctx.config_json));
  IOT_ASSIGN(std::string text, config.required_text("expression"));
  auto expr = analytics::Expression::parse(text);
  if (!expr) return std::unexpected(config.bad("expression", expr.error().message()));
  IOT_ASSIGN(auto window, config.duration("window"));
  IOT_ASSIGN(std::string topic, config.text("topic"));
  IOT_ASSIGN(auto twins, config.twins());
  std::vector<std::string> topics;
  if (!topic.empty()) {
    topics = {topic};
  } else {
    for (const auto& t : twins) topics.push_back("iotwins/" + t + "/telemetry");
    if (topics.empty()) topics = {"iotwins/+/telemetry"};
  }
  return std::unique_ptr<runtime::BuiltinTask>(
      std::make_unique<DataFilter>(ctx, std::move(*expr), window, std::move(topics), std::move(twins)));
}

}  // namespace iotwins::tasks
