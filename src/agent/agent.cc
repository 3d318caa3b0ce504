#include "agent/agent.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "agent/credentials.h"
#include "agent/backoff.h"
#include "agent/data_plane.h"
#include "agent/identity.h"
#include "agent/task_runtime.h"
#include "agent/twin_sync.h"
#include "api/http_client.h"
#include "api/routes.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/signals.h"
#include "model/json.h"
#include "sysinfo/sysinfo.h"
#include "tasks/builtins.h"

namespace iotwins::agent {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("agent");
  return log;
}

model::NodeFacts to_model(const sysinfo::HostFacts& f) {
  model::NodeFacts out;
  out.hostname = f.hostname;
  out.os = f.os;
  out.kernel = f.kernel;
  out.arch = f.arch;
  out.cpu_model = f.cpu_model;
  out.cores = f.cores;
  out.memory_bytes = f.memory_bytes;
  out.disk_bytes = f.disk_bytes;
  for (const auto& g : f.gpus) out.gpus.push_back({g.vendor, g.model, g.memory_bytes});
  out.can_run_containers = f.can_run_containers;
  out.has_bubblewrap = f.has_bubblewrap;
  return out;
}

model::NodeKpis to_model(const sysinfo::Kpis& k) {
  return {k.cpu_percent,     k.load1,           k.memory_used_bytes, k.memory_available_bytes,
          k.disk_used_bytes, k.disk_free_bytes, k.net_rx_rate,       k.net_tx_rate};
}

Result<std::map<std::string, std::string>> parse_labels(const std::vector<std::string>& items) {
  std::map<std::string, std::string> labels;
  for (const auto& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return make_error(Errc::invalid_argument, "label '" + item + "' must be key=value");
    }
    labels[item.substr(0, eq)] = item.substr(eq + 1);
  }
  IOT_TRY(model::validate_labels(labels));
  return labels;
}


class Agent {
 public:
  explicit Agent(const Config& c) : config_(c) {}

  int run() {
    data_dir_ = config_.str("data-dir");
    if (auto st = fs_.create_dirs(data_dir_); !st) return fail(st.error());
    auto level = model::parse_level(config_.str("level"));
    if (!level) return fail(level.error(), 2);
    auto labels = parse_labels(config_.list("labels"));
    if (!labels) return fail(labels.error(), 2);
    auto facts = probe_.facts(data_dir_);
    if (!facts) return fail(facts.error());

    reg_.level = *level;
    reg_.labels = *labels;
    reg_.facts = to_model(*facts);
    reg_.name = config_.str("name").empty() ? facts->hostname : config_.str("name");
    reg_.parent = config_.str("parent");
    reg_.agent_version = api::build_info().version;
    if (auto id = load_identity(fs_, data_dir_)) {
      reg_.id = id->node_id;
    } else if (id.error().code() != Errc::not_found) {
      return fail(id.error());
    }

    api::ClientOptions copts;
    copts.ca_file = config_.str("ca-file");
    copts.request_timeout = std::chrono::seconds(10);
    // Credentials (docs/security.md "Machines"): stored ones, or a join with --join-token.
    auto creds = ensure_credentials(fs_, data_dir_, config_.str("server"), copts, config_.str("join-token"),
                                    config_.str("level"), [](auto d) { return wait_for_termination(d).has_value(); });
    if (!creds) return fail(creds.error());
    if (*creds) {
      creds_ = std::move(*creds);
      copts = with_credentials(copts, *creds_);
      reg_.id = creds_->node_id;
    }
    server_options_ = copts;
    auto client = api::HttpClient::create(config_.str("server"), copts);
    if (!client) return fail(client.error(), 2);
    client_ = std::move(*client);
    interval_ = config_.duration("heartbeat-interval");

    // The data plane runs whether or not the server is reachable: devices keep publishing into
    // the durable buffer; forwarding starts once the node id is known.
    auto dp = DataPlane::start(config_, data_dir_);
    if (!dp) return fail(dp.error(), dp.error().code() == Errc::invalid_argument ? 2 : 1);
    data_plane_ = std::move(*dp);
    reg_.ingest_url = data_plane_->ingest_url();
    // A known id (an earlier run, or the join) attaches devices' twins from their first message.
    if (!reg_.id.empty()) (void)data_plane_->set_node_id(reg_.id);
    // Tasks run from the persisted desired set before the server is reached (edge autonomy).
    tasks::register_builtin_tasks();  // the operators of the iotwins task and service types
    auto tasks = TaskRuntime::open({.data_dir = data_dir_, .server_url = config_.str("server"), .client = copts,
                                    .node_id = reg_.id, .data_plane = data_plane_.get(),
                                    .stop_tasks_on_exit = config_.boolean("stop-tasks-on-exit")});
    if (!tasks) return fail(tasks.error());
    task_runtime_ = std::move(*tasks);

    logger().info("agent starting: level {}, server {}, data in {}{}", config_.str("level"),
                  client_->base_url(), data_dir_, reg_.id.empty() ? "" : ", node " + reg_.id);
    loop();
    if (twin_sync_) twin_sync_->stop();
    task_runtime_->stop();
    data_plane_->stop();
    logger().info("stopped");
    return 0;
  }

 private:
  int fail(const Error& e, int code = 1) {
    logger().error("{}", e.message());
    return code;
  }

  // Registers when needed, then heartbeats every interval; reacts to signals at once.
  void loop() {
    int attempt = 0;
    bool registered = false;
    std::chrono::milliseconds wait{0};
    for (;;) {
      if (wait_for_termination(wait)) return;
      Status st = registered ? heartbeat() : register_node();
      if (st) refresh_models();
      if (creds_) maintain_credentials(st.has_value());
      if (st) {
        registered = true;
        attempt = 0;
        wait = interval_;
        continue;
      }
      if (st.error().code() == Errc::not_found) {
        logger().warn("the server does not know node {}: registering again", reg_.id);
        registered = false;
        wait = std::chrono::milliseconds(0);
        continue;
      }
      if (st.error().code() == Errc::unauthenticated && !creds_) {
        logger().error("{}: the server requires credentials and this agent has none; start it with "
                       "--join-token TOKEN (an operator makes one with 'iotwins nodes join-token')",
                       st.error().message());
      } else if (st.error().code() == Errc::invalid_argument) {
        logger().error("{}", st.error().message());
      } else {
        logger().warn("{} (retrying)", st.error().message());
      }
      wait = backoff(attempt++, std::max(interval_, std::chrono::milliseconds(1000)));
    }
  }

  Status register_node() {
    auto res = client_->request(api::Method::POST, "/api/v1/nodes", model::to_json(reg_).dump());
    if (!res) return std::unexpected(res.error());
    if (!res->ok()) return std::unexpected(api::error_from_response(*res, "register"));
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(res->body);
    } catch (const nlohmann::json::exception& e) {
      return make_error(Errc::unavailable, std::string("register: the server answered badly: ") + e.what());
    }
    auto node = model::node_from_json(j);
    if (!node) return std::unexpected(node.error());
    if (node->id != reg_.id) {
      IOT_TRY(save_identity(fs_, data_dir_, {node->id, client_->base_url()}));
      logger().info("registered as node {}", node->id);
    } else {
      logger().info("registered again as node {}", node->id);
    }
    reg_.id = node->id;
    if (auto st = data_plane_->set_node_id(reg_.id); !st) logger().error("{}", st.error().message());
    task_runtime_->set_node_id(reg_.id);
    start_twin_sync();
    return ok();
  }

  // Follows the server's twin feed for this node into the edge twin cache (once the id is known).
  void start_twin_sync() {
    if (twin_sync_) return;
    api::ClientOptions copts;
    copts.ca_file = config_.str("ca-file");
    if (creds_) copts = with_credentials(copts, *creds_);
    twin_sync_ = std::make_unique<TwinSync>(config_.str("server"), copts, reg_.id, data_plane_->twin_cache());
    twin_sync_->start();
  }

  // The twin models, for their topic mappings: at registration, then every 30 s.
  void refresh_models() {
    auto now = std::chrono::steady_clock::now();
    if (models_fetched_ && now - *models_fetched_ < std::chrono::seconds(30)) return;
    models_fetched_ = now;
    auto res = client_->request(api::Method::GET, "/api/v1/twin-models");
    if (!res || !res->ok()) return;  // next time
    auto body = nlohmann::json::parse(res->body, nullptr, false);
    if (!body.is_object() || !body["items"].is_array()) return;
    if (auto st = data_plane_->set_twin_models(body["items"].dump()); !st) {
      logger().warn("twin models: {}", st.error().message());
    }
  }

  // After each heartbeat (or failed attempt: an expired certificate is renewed with the token):
  // the client certificate when due; once online, the devices' MQTT credentials.
  void maintain_credentials(bool online) {
    auto rotated = rotate_if_due(fs_, *creds_, config_.str("server"), server_options_,
                                 SystemClock::instance().now_ns() / 1'000'000'000);
    if (!rotated) logger().warn("client certificate rotation: {} (retrying)", rotated.error().message());
    if (!online || config_.str("broker-auth") != "on") return;
    auto devices = fetch_device_credentials(*client_, creds_->node_id);
    Status st = devices ? data_plane_->set_device_credentials(*devices) : Status(std::unexpected(devices.error()));
    if (!st) logger().warn("{}", st.error().message());
  }

  Status heartbeat() {
    model::Heartbeat hb;
    hb.sent_ns = SystemClock::instance().now_ns();
    if (auto k = probe_.sample(data_dir_, SystemClock::instance())) {
      hb.kpis = to_model(*k);
    } else {
      logger().debug("KPI sample failed: {}", k.error().message());
    }
    data_plane_->fill_kpis(hb.kpis);
    hb.kpis.tasks = task_runtime_->task_kpis();
    auto res = client_->request(api::Method::PUT, "/api/v1/nodes/" + reg_.id + "/heartbeat",
                                model::to_json(hb).dump());
    if (!res) return std::unexpected(res.error());
    if (!res->ok()) return std::unexpected(api::error_from_response(*res, "heartbeat"));
    return ok();
  }

  const Config& config_;
  PosixFileSystem& fs_ = PosixFileSystem::instance();
  sysinfo::Probe probe_;
  std::string data_dir_;
  model::NodeRegistration reg_;
  std::unique_ptr<api::HttpClient> client_;
  std::optional<NodeCredentials> creds_;
  api::ClientOptions server_options_;
  std::chrono::milliseconds interval_{5000};
  std::unique_ptr<DataPlane> data_plane_;
  std::unique_ptr<TwinSync> twin_sync_;
  std::unique_ptr<TaskRuntime> task_runtime_;
  std::optional<std::chrono::steady_clock::time_point> models_fetched_;
};

}  // namespace

ConfigSpec config_spec() {
  ConfigSpec spec("agent", "Runs the node agent: registers this machine with the server and "
                           "heartbeats its resource usage; later also its data plane and tasks.");
  spec.add_common();
  spec.add({.name = "server", .default_value = "http://127.0.0.1:8470",
            .help = "URL of the iotwins server"});
  spec.add({.name = "level", .type = ConfigType::choice, .default_value = "edge",
            .help = "the node's level in the continuum", .choices = {"iot", "edge", "cloud"}});
  spec.add({.name = "data-dir", .default_value = "./iotwins-data/agent",
            .help = "where the agent keeps its state (its node id, buffers)"});
  spec.add({.name = "name", .help = "display name (default: the hostname)"});
  spec.add({.name = "parent", .help = "node id of the agent this one sends data to (default: the server)"});
  spec.add({.name = "labels", .type = ConfigType::list, .help = "key=value labels for placement, e.g. site=plant-1"});
  spec.add({.name = "heartbeat-interval", .type = ConfigType::duration, .default_value = "5s",
            .help = "how often to report to the server"});
  spec.add({.name = "ca-file", .help = "CA certificate to verify an https:// server"});
  spec.add({.name = "join-token", .help = "one-time token to join the server (iotwins nodes join-token); "
                                          "used once, the credentials are kept in <data-dir>/identity"});
  spec.add({.name = "stop-tasks-on-exit", .type = ConfigType::boolean, .default_value = "false",
            .help = "stop this node's tasks when the agent stops (default: they keep running and the "
                    "next agent re-attaches them)"});
  add_data_plane_options(spec);
  return spec;
}

int run(const Config& config) { return Agent(config).run(); }

}  // namespace iotwins::agent
