// The services of a chain that the platform already runs: iotwins.nodes.Service.MQTTBroker is the
// agent's managed broker, iotwins.nodes.Service.TimeSeriesStore the server's store. Each task checks
// its service answers, sets `endpoint`, and runs until stopped, checking again every
// `check_interval`; a service down for `failures` checks in a row ends the task with the reason
// (so the restart policy and the deployment's events show it).
#include <mosquitto.h>

#include <cstdlib>

#include "tasks/builtin_support.h"
#include "tasks/builtins.h"

namespace iotwins::tasks {
namespace {

using Clock = std::chrono::steady_clock;

struct ServiceConfig {
  std::chrono::duration<double> check_interval{30};
  int64_t failures = 3;
};

// One MQTT connect to `url` (mqtt[s]://host:port) answered by a CONNACK within `timeout`.
Status mqtt_connect_probe(const std::string& url, const std::string& ca_file, std::chrono::milliseconds timeout) {
  const bool tls = url.starts_with("mqtts://");
  std::string rest = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
  size_t colon = rest.rfind(':');
  if (!url.starts_with("mqtt") || colon == std::string::npos) {
    return make_error(Errc::invalid_argument, "broker URL '" + url + "' is not mqtt[s]://host:port");
  }
  const std::string host = rest.substr(0, colon);
  const int port = std::atoi(rest.c_str() + colon + 1);
  mosquitto_lib_init();
  struct State {
    int rc = -1;
  } state;
  std::unique_ptr<mosquitto, void (*)(mosquitto*)> m(mosquitto_new(nullptr, true, &state), mosquitto_destroy);
  if (!m) return make_error(Errc::internal, "mosquitto_new failed");
  mosquitto_connect_callback_set(m.get(), [](mosquitto*, void* self, int rc) { static_cast<State*>(self)->rc = rc; });
  if (tls) {
    const bool verify = !ca_file.empty();
    mosquitto_tls_set(m.get(), verify && ca_file != "system" ? ca_file.c_str() : nullptr, "/etc/ssl/certs", nullptr, nullptr, nullptr);
    if (!verify) mosquitto_tls_insecure_set(m.get(), true);  // the agent's own broker on loopback
  }
  int rc = mosquitto_connect(m.get(), host.c_str(), port, 10);
  if (rc != MOSQ_ERR_SUCCESS) {
    return make_error(Errc::unavailable, "MQTT broker " + url + " does not answer: " +
                                             (rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : mosquitto_strerror(rc)));
  }
  const auto deadline = Clock::now() + timeout;
  while (state.rc < 0 && Clock::now() < deadline) {
    rc = mosquitto_loop(m.get(), 100, 1);
    if (rc != MOSQ_ERR_SUCCESS) break;
  }
  mosquitto_disconnect(m.get());
  if (state.rc == 0) return ok();
  if (state.rc > 0) return make_error(Errc::unavailable, "MQTT broker " + url + " refused the connection: " + mosquitto_connack_string(state.rc));
  return make_error(Errc::unavailable, "MQTT broker " + url + " sent no CONNACK within " + std::to_string(timeout.count()) + " ms");
}

// Runs `check` now (its error ends the task at once) and then every interval until stopped.
class ServiceTask : public runtime::BuiltinTask {
 public:
  using Check = std::function<Status()>;
  ServiceTask(runtime::BuiltinContext ctx, ServiceConfig config, std::string what, std::string endpoint, Check check)
      : ctx_(std::move(ctx)), c_(config), what_(std::move(what)), endpoint_(std::move(endpoint)), check_(std::move(check)) {}

  Status run(std::stop_token stop) override {
    IOT_TRY(check_());
    if (ctx_.set_attribute) ctx_.set_attribute("endpoint", endpoint_);
    ctx_.log(what_ + " answers at " + endpoint_);
    int64_t failed = 0;
    const auto every = std::chrono::duration_cast<Clock::duration>(c_.check_interval);
    while (builtin::sleep_until(stop, Clock::now() + every)) {
      Status st = check_();
      if (st) {
        if (failed > 0) ctx_.log(what_ + " answers again");
        failed = 0;
        continue;
      }
      ctx_.log(st.error().message() + " (" + std::to_string(++failed) + " of " + std::to_string(c_.failures) + ")");
      if (failed >= c_.failures) {
        return std::unexpected(std::move(st).error().context(what_ + " down for " + std::to_string(failed) + " checks"));
      }
    }
    return ok();
  }

 private:
  runtime::BuiltinContext ctx_;
  ServiceConfig c_;
  std::string what_, endpoint_;
  Check check_;
};

Result<ServiceConfig> service_config(const builtin::Config& config) {
  ServiceConfig c;
  IOT_ASSIGN(auto every, config.duration("check_interval"));
  if (every) c.check_interval = *every;
  IOT_ASSIGN(auto failures, config.integer("failures"));
  if (failures && *failures < 1) return std::unexpected(config.bad("failures", "must be at least 1"));
  if (failures) c.failures = *failures;
  return c;
}

}  // namespace

Result<std::unique_ptr<runtime::BuiltinTask>> make_mqtt_broker_service(const runtime::BuiltinContext& ctx) {
  IOT_ASSIGN(auto config, builtin::Config::parse(kMqttBroker, ctx.config_json));
  IOT_ASSIGN(auto c, service_config(config));
  // `url`: an existing broker the service stands for; else the node's managed broker.
  IOT_ASSIGN(std::string url, config.text("url", ctx.node.broker_url));
  if (url.empty()) {
    return make_error(Errc::unavailable, std::string(kMqttBroker) + ": node " + ctx.node.node_id +
                                             " runs no MQTT broker (its agent was started without one) and the "
                                             "template gives no `url`");
  }
  std::string ca = ctx.node.ca_file;
  return std::unique_ptr<runtime::BuiltinTask>(std::make_unique<ServiceTask>(
      ctx, c, "MQTT broker", url, [url, ca] { return mqtt_connect_probe(url, ca, std::chrono::seconds(5)); }));
}

Result<std::unique_ptr<runtime::BuiltinTask>> make_time_series_store_service(const runtime::BuiltinContext& ctx) {
  IOT_ASSIGN(auto config, builtin::Config::parse(kTimeSeriesStore, ctx.config_json));
  IOT_ASSIGN(auto c, service_config(config));
  IOT_ASSIGN(std::shared_ptr<api::HttpClient> server, builtin::server_client(ctx.node));
  const std::string endpoint = ctx.node.server_url + "/api/v1/series";
  auto check = [server, endpoint]() -> Status {
    IOT_ASSIGN(auto res, server->request(api::Method::GET, "/api/v1/series?limit=1"));
    if (!res.ok()) return std::unexpected(api::error_from_response(res, "time-series store " + endpoint));
    return ok();
  };
  return std::unique_ptr<runtime::BuiltinTask>(std::make_unique<ServiceTask>(ctx, c, "time-series store", endpoint, check));
}

}  // namespace iotwins::tasks
