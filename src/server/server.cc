#include "server/server.h"

#include "api/http_server.h"
#include "api/node_watch.h"
#include "api/routes.h"
#include "artifacts/store.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/signals.h"
#include "events/event_log.h"
#include "iam/ca.h"
#include "iam/store.h"
#include "orchestrator/orchestrator.h"
#include "registry/registry.h"
#include "resource/node_registry.h"
#include "server/data_plane.h"
#include "server/node_kpis.h"
#include "server/reconcile_loop.h"
#include "server/security.h"
#include "storage/database.h"
#include "tsdbext/open_store.h"
#include "twins/service.h"

namespace iotwins::server {

ConfigSpec config_spec() {
  ConfigSpec spec("server", "Runs the control plane: REST API, node registry and, as they land, "
                            "scheduler, orchestrator, twins and the time-series store.");
  spec.add_common();
  spec.add({.name = "listen", .default_value = "127.0.0.1:8470",
            .help = "address to serve HTTP on (host:port; port 0 picks a free one)"});
  spec.add({.name = "data-dir", .default_value = "./iotwins-data/server",
            .help = "where the server keeps all its state"});
  spec.add({.name = "workers", .type = ConfigType::integer, .default_value = "16",
            .help = "threads running request handlers (each open change-feed stream holds one)", .min = 1, .max = 256});
  spec.add({.name = "max-body", .type = ConfigType::size, .default_value = "1MiB",
            .help = "largest request body accepted by default"});
  spec.add({.name = "heartbeat-timeout", .type = ConfigType::duration, .default_value = "15s",
            .help = "a node with no heartbeat for this long is unreachable"});
  spec.add({.name = "down-timeout", .type = ConfigType::duration, .default_value = "5m",
            .help = "a node silent for this long is down (its tasks may move)"});
  spec.add({.name = "reconcile-interval", .type = ConfigType::duration, .default_value = "5s",
            .help = "how often the orchestrator re-checks every deployment (node down or draining, next layer)"});
  spec.add({.name = "tsdb", .default_value = "embedded",
            .help = "time-series store: 'embedded' (the built-in engine in <data-dir>/tsdb), "
                    "postgresql://user@host:port/db or influxdb://host:port/db (see docs/tsdb-backends.md)"});
  spec.add({.name = "twin-autocreate", .default_value = "*",
            .help = "which unknown twin ids arriving as telemetry create a twin, and with which model: "
                    "comma-separated glob=model rules, first match wins (\"pump-*=Pump,*=\"); "
                    "'strict' creates none"});
  spec.add({.name = "max-artifact", .type = ConfigType::size, .default_value = "256MiB",
            .help = "largest artifact PUT /api/v1/artifacts accepts (the body is held in memory while it is hashed)"});
  spec.add({.name = "kpi-thresholds", .default_value = std::string(resource::kDefaultThresholdRules),
            .help = "node KPI rules that raise a 'threshold' event when crossed upward and 'threshold_cleared' "
                    "when back at or below CLEAR: KPI>LIMIT[/CLEAR],… ('none': no rules)"});
  spec.add({.name = "tls-cert", .help = "PEM certificate chain: serve HTTPS"});
  spec.add({.name = "tls-key", .help = "PEM private key of --tls-cert"});
  spec.add({.name = "tls-client-ca", .help = "require client certificates signed by this CA (mTLS)"});
  add_security_config(spec);
  spec.add({.name = "node-cert-validity", .type = ConfigType::duration, .default_value = "720h",
            .help = "lifetime of the client certificates issued to nodes (renewed after two thirds)"});
  return spec;
}

int run(const Config& config) {
  auto& log = log::get("server");
  auto& fs = PosixFileSystem::instance();
  const std::string data_dir = config.str("data-dir");
  if (auto st = fs.create_dirs(data_dir); !st) {
    log.error("{}", st.error().message());
    return 1;
  }
  auto db = storage::open_sqlite(join_path(data_dir, "metadata.db"));
  if (!db) {
    log.error("{}", db.error().message());
    return 1;
  }
  resource::RegistryOptions reg_options{config.duration("heartbeat-timeout"), config.duration("down-timeout")};
  auto nodes = resource::NodeRegistry::open(**db, SystemClock::instance(), reg_options);
  if (!nodes) {
    log.error("{}", nodes.error().message());
    return 1;
  }

  // Time series: the embedded engine in <data-dir>/tsdb, or the database --tsdb names.
  tsdbext::OpenStoreOptions store_options;
  store_options.embedded.dir = join_path(data_dir, "tsdb");
  auto store = tsdbext::open_store(config.str("tsdb"), store_options);
  if (!store) {
    log.error("{}", store.error().message());
    return 1;
  }
  auto events = events::EventLog::open(**db);
  if (!events) {
    log.error("{}", events.error().message());
    return 1;
  }
  auto autocreate = twins::AutoCreateRules::parse(config.str("twin-autocreate"));
  if (!autocreate) {
    log.error("--twin-autocreate: {}", autocreate.error().message());
    return 2;
  }
  auto twin_service = twins::TwinService::open(**db, SystemClock::instance(), {.autocreate = *autocreate});
  if (!twin_service) {
    log.error("{}", twin_service.error().message());
    return 1;
  }
  auto thresholds = resource::parse_threshold_rules(config.str("kpi-thresholds"));
  if (!thresholds) {
    log.error("--kpi-thresholds: {}", thresholds.error().message());
    return 2;
  }
  // Node KPI history and threshold events, on every accepted heartbeat.
  resource::KpiMonitor kpi_monitor(std::move(*thresholds), SystemClock::instance());
  NodeKpiRecorder kpi_recorder(**store, **events, kpi_monitor);
  (*nodes)->on_heartbeat([&kpi_recorder, &log](const model::Node& node) {
    if (auto st = kpi_recorder.record(node); !st) log.warn("node KPI history: {}", st.error().message());
  });
  auto artifact_store = artifacts::ArtifactStore::open(join_path(data_dir, "artifacts"),
                                                       {.max_bytes = static_cast<uint64_t>(config.size("max-artifact"))});
  if (!artifact_store) {
    log.error("{}", artifact_store.error().message());
    return 1;
  }
  auto models = registry::ModelRegistry::open(**db, **artifact_store, SystemClock::instance());
  if (!models) {
    log.error("{}", models.error().message());
    return 1;
  }
  auto data_plane = ServerDataPlane::start(data_dir, **store, **events, **twin_service);
  if (!data_plane) {
    log.error("{}", data_plane.error().message());
    return 1;
  }

  // Deployments: templates sent over HTTP import built-in profiles only.
  orchestrator::OrchestratorOptions orch_options;
  orch_options.validate.load.fs = &api::refused_template_files();
  resource::NodeRegistry& registry = **nodes;
  auto orch = orchestrator::Orchestrator::open(**db, SystemClock::instance(), [&registry] { return registry.list(); },
                                               orch_options);
  if (!orch) {
    log.error("{}", orch.error().message());
    return 1;
  }
  api::NodeWatches node_watches(**orch);  // outlives the HTTP server (its sockets call back)
  (*orch)->on_desired_change([&node_watches](const std::string& node, int64_t) { node_watches.notify(node); });
  // Node down, heartbeats and layers advance without a request: a pass every few seconds.
  ReconcileLoop reconcile_loop(**orch, config.duration("reconcile-interval"));

  // Machines: the CA in <data-dir>/ca (made on first start, or the operator's own ca.crt/ca.key
  // placed there) signs the nodes' client certificates; the store holds who joined.
  auto iam_store = iam::IamStore::open(**db, SystemClock::instance());
  if (!iam_store) {
    log.error("{}", iam_store.error().message());
    return 1;
  }
  iam::CaOptions ca_options;
  ca_options.client_validity = std::chrono::duration_cast<std::chrono::seconds>(config.duration("node-cert-validity"));
  // notBefore is backdated for clocks that lag, but never by more than a quarter of a (test's)
  // short lifetime, or it would be due for rotation as soon as it is issued.
  ca_options.backdate = std::min(ca_options.backdate, ca_options.client_validity / 4);
  auto ca = iam::CertificateAuthority::open(fs, join_path(data_dir, "ca"), SystemClock::instance(), ca_options);
  if (!ca) {
    log.error("{}", ca.error().message());
    return 1;
  }

  // People and programs: token keys, audit log, OIDC, the first admin (security.h).
  auto security = Security::open(config, fs, **db, **iam_store, data_dir);
  if (!security) {
    log.error("{}", security.error().message());
    return security.error().code() == Errc::invalid_argument ? 2 : 1;
  }

  api::Services services;
  services.clock = &SystemClock::instance();
  services.nodes = nodes->get();
  services.series = store->get();
  services.ingest = &(*data_plane)->receiver();
  services.events = events->get();
  services.objects = &(*data_plane)->objects();
  services.twins = twin_service->get();
  services.artifacts = artifact_store->get();
  services.models = models->get();
  services.orchestrator = orch->get();
  services.node_watches = &node_watches;
  services.iam = iam_store->get();
  services.ca = ca->get();
  services.readiness = [] { return std::string(); };
  api::Router router;
  api::add_server_routes(router, services);
  (*security)->install(router);

  api::ServerOptions http;
  http.listen = config.str("listen");
  http.worker_threads = static_cast<int>(config.integer("workers"));
  http.max_body_bytes = config.size("max-body");
  http.tls_cert_file = config.str("tls-cert");
  http.tls_key_file = config.str("tls-key");
  http.tls_client_ca_file = config.str("tls-client-ca");
  if (auto st = apply_tls_default(config, http, **ca, fs, data_dir); !st) {
    log.error("{}", st.error().message());
    return st.error().code() == Errc::invalid_argument ? 2 : 1;
  }
  if (!http.tls_cert_file.empty() && http.tls_client_ca_file.empty()) {
    // Nodes that joined present a certificate from our CA; others (joining, people) use tokens.
    http.tls_client_ca_file = join_path(data_dir, "ca/ca.crt");
    http.tls_client_cert_optional = true;
  }
  http.client_cert_revoked = [ca = ca->get()](const std::string& serial) { return ca->is_revoked(serial); };
  if (http.tls_cert_file.empty() != http.tls_key_file.empty()) {
    log.error("--tls-cert and --tls-key go together");
    return 2;
  }
  auto server = api::HttpServer::start(http, router);
  if (!server) {
    log.error("{}", server.error().message());
    return 1;
  }
  std::string url = std::string((*server)->tls() ? "https://" : "http://") + (*server)->address();
  // Tests and `iotwins up` read the real address from here (the port may have been 0).
  if (auto st = fs.write_file_atomic(join_path(data_dir, "server.url"), url + "\n"); !st) {
    log.warn("{}", st.error().message());
  }
  log.info("iotwins server ready at {} (data in {})", url, data_dir);

  int sig = wait_for_termination().value_or(0);
  log.info("signal {} received: shutting down", sig);
  (*twin_service)->close();  // ends the change-feed streams
  node_watches.close_all();   // ends the node watches
  reconcile_loop.stop();
  (*server)->stop();
  (*data_plane)->stop();
  log.info("stopped");
  return 0;
}

}  // namespace iotwins::server
