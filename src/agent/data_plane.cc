#include "agent/data_plane.h"

#include <nlohmann/json.hpp>

#include "agent/broker.h"
#include "agent/credentials.h"
#include "mqtt/client.h"
#include "api/http_client.h"
#include "api/http_server.h"
#include "api/routes.h"
#include "core/fs.h"
#include "core/log.h"
#include "dataplane/buffer/sinks.h"
#include "dataplane/node_buffer.h"
#include "dataplane/objects/intake.h"
#include "dataplane/spool_ingest.h"
#include "dataplane/spool_record.h"
#include "storage/database.h"
#include "twin/codec.h"
#include "twins/edge_cache.h"
#include "twins/topic_mapper.h"
#include "wal/wal.h"

namespace iotwins::agent {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("agent");
  return log;
}

// Sends frames to the parent's /api/v1/ingest; one HTTP client per stream (thread).
dataplane::SendFrame http_sender(std::shared_ptr<api::HttpClient> client) {
  return [client](const std::string& frame, const dataplane::BatchHeader&) -> Result<uint64_t> {
    IOT_ASSIGN(auto res, client->request(api::Method::POST, "/api/v1/ingest", frame,
                                         "application/octet-stream"));
    if (!res.ok()) return std::unexpected(api::error_from_response(res, "forward to " + client->base_url()));
    try {
      return nlohmann::json::parse(res.body).at("acked_seq").get<uint64_t>();
    } catch (const nlohmann::json::exception& e) {
      return make_error(Errc::unavailable, "the parent answered the ingest badly: " + std::string(e.what()));
    }
  };
}

}  // namespace

void add_data_plane_options(ConfigSpec& spec) {
  spec.add({.name = "parent-url",
            .help = "where this agent forwards its data: the parent agent's ingest URL (an IoT "
                    "agent's edge agent); default: the server"});
  spec.add({.name = "listen", .default_value = "127.0.0.1:0",
            .help = "address of this agent's ingest endpoint for child agents (port 0: a free one, "
                    "written to <data-dir>/agent.url)"});
  spec.add({.name = "mqtt", .default_value = "managed",
            .help = "device broker: 'managed' (start a local Mosquitto with the durable spool), "
                    "'none', or mqtt://host:port of an existing broker (subscribed, weaker guarantee: "
                    "see docs/dataplane.md)"});
  spec.add({.name = "mqtt-host", .default_value = "127.0.0.1",
            .help = "address the managed broker listens on"});
  spec.add({.name = "mqtt-port", .type = ConfigType::integer, .default_value = "1883",
            .help = "port of the managed broker (0: a free one)", .min = 0, .max = 65535});
  spec.add({.name = "tls-cert", .help = "PEM certificate chain: serve the ingest endpoint over HTTPS"});
  spec.add({.name = "tls-key", .help = "PEM private key of --tls-cert"});
  spec.add({.name = "mqtt-tls-cert",
            .help = "PEM certificate: the managed broker accepts devices over MQTT with TLS only"});
  spec.add({.name = "mqtt-tls-key", .help = "PEM private key of --mqtt-tls-cert"});
  spec.add({.name = "broker-auth", .type = ConfigType::choice, .default_value = "off",
            .help = "on: devices log in to the managed broker as their twin id with the password from "
                    "POST /api/v1/twins/{id}/credentials and may use only iotwins/<twin>/… (needs a joined node)",
            .choices = {"on", "off"}});
  spec.add({.name = "broker-plugin", .help = "path of libiotwins_broker.so (default: next to this program)"});
  spec.add({.name = "spool-fsync", .type = ConfigType::choice, .default_value = "periodic",
            .help = "when device messages reach the disk: periodic (written before PUBACK, fsynced "
                    "within 2 ms) or always (fsynced before PUBACK)",
            .choices = {"periodic", "always"}});
  spec.add({.name = "buffer-max", .type = ConfigType::size, .default_value = "1GiB",
            .help = "limit of each buffer stream (telemetry, events) on disk"});
  spec.add({.name = "objects-max", .type = ConfigType::size, .default_value = "4GiB",
            .help = "limit of the objects stream (file pieces on their way up; policy reject: "
                    "`iotwins objects put` waits and retries when it is full)"});
  spec.add({.name = "buffer-max-age", .type = ConfigType::duration, .default_value = "0s",
            .help = "records older than this are dropped (counted) from the buffer even if not forwarded; "
                    "0s keeps them until forwarded"});
  spec.add({.name = "buffer-policy", .type = ConfigType::choice, .default_value = "reject",
            .help = "when a stream is full: reject new data (the sender keeps it) or drop_oldest",
            .choices = {"reject", "drop_oldest"}});
}

struct DataPlane::Impl {
  std::string data_dir;
  std::string parent_url;
  api::ClientOptions client_options;
  std::unique_ptr<dataplane::NodeBuffer> buffer;
  std::unique_ptr<ManagedBroker> broker;
  std::unique_ptr<wal::Wal> own_spool;         // with an external broker
  std::unique_ptr<mqtt::MqttClient> subscriber;      // with an external broker
  std::string mqtt_url;
  std::unique_ptr<mqtt::MqttClient> mqtt;
  std::unique_ptr<dataplane::SpoolIngest> ingest;
  std::unique_ptr<dataplane::ObjectIntake> objects;
  std::unique_ptr<storage::Database> twin_db;        // <data-dir>/twins.db
  std::unique_ptr<twins::EdgeTwinCache> twin_cache;  // the twins of this agent's devices
  twins::TopicMapper mapper;                         // the twin models' topic mappings
  std::string models_json;                           // as last stored in <data-dir>/twin-models.json
  std::string node_id;  // guarded by mu
  api::Router router;
  api::Services services;
  std::unique_ptr<api::HttpServer> http;
  std::string ingest_url;
  std::mutex mu;
  bool forwarding = false;
  std::unique_ptr<dataplane::StreamConsumer> tap;  // task streams (tap_events)
  std::function<Result<std::string>(const std::string&, const std::string&, size_t)> task_log;  // guarded by mu
};

DataPlane::DataPlane(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataPlane::~DataPlane() { stop(); }

Result<std::unique_ptr<DataPlane>> DataPlane::start(const Config& config, const std::string& data_dir) {
  auto& fs = PosixFileSystem::instance();
  auto impl = std::make_unique<Impl>();
  impl->data_dir = data_dir;
  impl->parent_url = config.str("parent-url").empty() ? config.str("server") : config.str("parent-url");
  impl->client_options.ca_file = config.str("ca-file");
  impl->client_options.request_timeout = std::chrono::seconds(30);
  IOT_ASSIGN(auto creds, load_credentials(fs, data_dir));  // the node's, when it joined
  if (creds) impl->client_options = with_credentials(impl->client_options, *creds);
  IOT_ASSIGN(auto policy, dataplane::parse_full_policy(config.str("buffer-policy")));
  dataplane::NodeBufferOptions bo;
  bo.dir = join_path(data_dir, "buffer");
  for (auto name : {dataplane::kTelemetryStream, dataplane::kEventsStream}) {
    bo.streams.push_back({.name = std::string(name), .policy = policy, .max_bytes = config.size("buffer-max"),
                          .max_age = config.duration("buffer-max-age")});
  }
  // Files never drop silently: a full objects stream refuses chunks and the client retries.
  bo.streams.push_back({.name = std::string(dataplane::kObjectsStream), .max_bytes = config.size("objects-max")});
  IOT_ASSIGN(impl->buffer, dataplane::NodeBuffer::open(fs, bo));
  Impl* raw = impl.get();
  IOT_ASSIGN(impl->objects, dataplane::ObjectIntake::open(fs, join_path(data_dir, "objects"),
                                                          *impl->buffer->stream(dataplane::kObjectsStream),
                                                          [raw] {
                                                            std::lock_guard lock(raw->mu);
                                                            return raw->node_id;
                                                          }));

  // The twin models known when last online: their topic mappings apply from the first message.
  if (auto text = fs.read_file(join_path(data_dir, "twin-models.json"))) {
    if (auto st = load_models(*impl, *text); !st) logger().warn("stored twin models ignored: {}", st.error().message());
  }
  std::string mqtt = config.str("mqtt");
  std::string spool_dir = join_path(data_dir, "spool");
  if (mqtt == "managed") {
    BrokerOptions b;
    b.data_dir = data_dir;
    b.host = config.str("mqtt-host");
    b.port = static_cast<uint16_t>(config.integer("mqtt-port"));
    b.plugin = config.str("broker-plugin").empty() ? default_broker_plugin() : config.str("broker-plugin");
    b.spool_dir = spool_dir;
    b.fsync = config.str("spool-fsync");
    b.tls_cert = config.str("mqtt-tls-cert");
    b.tls_key = config.str("mqtt-tls-key");
    b.device_auth = config.str("broker-auth") == "on";
    b.extra_topics = impl->mapper.subscriptions();
    if (b.tls_cert.empty() != b.tls_key.empty()) {
      return make_error(Errc::invalid_argument, "--mqtt-tls-cert and --mqtt-tls-key go together");
    }
    IOT_ASSIGN(impl->broker, ManagedBroker::start(b));
    impl->mqtt_url = impl->broker->url();
  } else if (mqtt.starts_with("mqtt://") || mqtt.starts_with("mqtts://")) {
    // An existing broker: subscribe to the device topics with a persistent session and spool
    // what arrives. Weaker than the plugin: the library acknowledges a message before the
    // append (docs/dataplane.md).
    IOT_ASSIGN(impl->own_spool, wal::Wal::open(fs, spool_dir, {.fsync = wal::FsyncPolicy::periodic}));
    impl->mqtt_url = mqtt;
    wal::Wal* spool = impl->own_spool.get();
    mqtt::MqttClient::Subscription sub;
    sub.filters = {"iotwins/+/telemetry", "iotwins/+/reported", "iotwins/+/events/#"};
    sub.on_message = [spool](std::string_view topic, std::string_view payload, int qos, bool retain) {
      std::string rec;
      dataplane::SpoolRecord r{SystemClock::instance().now_ns(), static_cast<uint8_t>(qos), retain, "", topic, payload};
      if (auto st = dataplane::encode_spool_record(r, rec); !st) return;
      if (auto seq = spool->append(rec); !seq) {
        logger().error("spooling a message from the external broker: {}", seq.error().message());
      }
    };
    IOT_ASSIGN(impl->subscriber,
               mqtt::MqttClient::connect(mqtt, "iotwins-agent-" + std::to_string(std::hash<std::string>{}(data_dir) % 1000000007),
                                   std::move(sub),
                                   mqtt.starts_with("mqtts://") ? (config.str("ca-file").empty() ? "system" : config.str("ca-file"))
                                                                : ""));
  } else if (mqtt != "none") {
    return make_error(Errc::invalid_argument,
                      "--mqtt " + mqtt + ": expected managed, none, or mqtt://host:port (mqtts:// for TLS)");
  }
  if (!impl->mqtt_url.empty()) {
    auto client = mqtt::MqttClient::connect(impl->mqtt_url, "iotwins-agent-" + std::to_string(::getpid()));
    if (client) {
      impl->mqtt = std::move(*client);
    } else {
      logger().warn("error reports will not be published: {}", client.error().message());
    }
    mqtt::MqttClient* pub = impl->mqtt.get();
    impl->ingest = std::make_unique<dataplane::SpoolIngest>(
        fs, dataplane::SpoolIngestOptions{.spool_dir = spool_dir, .local_spool = impl->own_spool.get()},
        *impl->buffer,
        [pub](const std::string& twin, const std::string& json) {
          if (pub && !twin.empty()) (void)pub->publish("iotwins/" + twin + "/errors", json);
        });
    twins::TopicMapper* mapper = &impl->mapper;
    impl->ingest->set_topic_mapper([mapper](std::string_view topic, std::string_view payload, int64_t ts,
                                            std::vector<dataplane::Record>& samples,
                                            std::vector<dataplane::Record>& events, std::string& error) {
      return mapper->map(topic, payload, ts, samples, events, error);
    });
    impl->ingest->start();
  }

  IOT_TRY(open_twin_cache(*impl));

  impl->services.clock = &SystemClock::instance();
  impl->services.ingest = &impl->buffer->receiver();
  impl->services.edge_twins = impl->twin_cache.get();
  impl->services.object_intake = impl->objects.get();
  impl->services.readiness = [] { return std::string(); };
  api::add_system_routes(impl->router, impl->services);
  api::add_ingest_routes(impl->router, impl->services);
  api::add_object_intake_routes(impl->router, impl->services);
  api::add_edge_twin_routes(impl->router, impl->services);
  impl->services.task_log = [raw](const std::string& task, const std::string& stream, size_t n) -> Result<std::string> {
    std::function<Result<std::string>(const std::string&, const std::string&, size_t)> read;
    {
      std::lock_guard lock(raw->mu);
      read = raw->task_log;
    }
    if (!read) return make_error(Errc::unavailable, "this agent's task runtime is not running yet");
    return read(task, stream, n);
  };
  api::add_agent_task_routes(impl->router, impl->services);
  api::ServerOptions so;
  so.listen = config.str("listen");
  so.worker_threads = 2;
  so.max_body_bytes = 16u << 20;
  so.tls_cert_file = config.str("tls-cert");
  so.tls_key_file = config.str("tls-key");
  if (so.tls_cert_file.empty() != so.tls_key_file.empty()) {
    return make_error(Errc::invalid_argument, "--tls-cert and --tls-key go together");
  }
  IOT_ASSIGN(impl->http, api::HttpServer::start(so, impl->router));
  impl->ingest_url = (impl->http->tls() ? "https://" : "http://") + impl->http->address();
  IOT_TRY(fs.write_file_atomic(join_path(data_dir, "agent.url"), impl->ingest_url + "\n"));
  logger().info("data plane: ingest endpoint {}, devices on {}, forwarding to {}", impl->ingest_url,
                impl->mqtt_url.empty() ? "(no broker)" : mqtt::redact_url(impl->mqtt_url), impl->parent_url);
  return std::unique_ptr<DataPlane>(new DataPlane(std::move(impl)));
}

// One event into the events stream (durable before it returns): the twin cache's local desired
// changes and the tasks' dataplane: stream records.
Status DataPlane::append_event(Impl& impl, const dataplane::Event& event) {
  std::vector<dataplane::Record> one{event};
  IOT_TRY(impl.buffer->stream(dataplane::kEventsStream)->append_records(one));
  return ok();
}

// The edge twin cache: deltas go to the devices on this agent's broker (QoS 1), local desired
// changes up through the events stream, and reported state from ingest keeps it current.
Status DataPlane::open_twin_cache(Impl& impl) {
  IOT_ASSIGN(impl.twin_db, storage::open_sqlite(join_path(impl.data_dir, "twins.db")));
  Impl* raw = &impl;
  twins::EdgeCallbacks cb;
  cb.publish = [raw](const std::string& topic, const std::string& payload) -> Status {
    if (!raw->mqtt) return make_error(Errc::unavailable, "this agent has no broker to publish " + topic + " on");
    return raw->mqtt->publish(topic, payload, 1);
  };
  cb.emit = [raw](const dataplane::Event& e) { return append_event(*raw, e); };
  IOT_ASSIGN(impl.twin_cache, twins::EdgeTwinCache::open(*impl.twin_db, SystemClock::instance(), std::move(cb)));
  if (impl.ingest) {
    twins::EdgeTwinCache* cache = impl.twin_cache.get();
    impl.ingest->set_reported_observer([cache](std::span<const dataplane::Event> events) {
      std::vector<twins::EdgeTwinCache::Reported> batch;
      for (const auto& e : events) {
        auto value = twin::parse_json_text(e.json);
        if (value && value->is_object()) batch.push_back({e.twin, std::move(*value), e.ts_ns});
      }
      if (auto st = cache->on_reported_batch(batch); !st) {
        logger().warn("cached reported state not updated: {}", st.error().message());
      }
    });
  }
  return ok();
}

twins::EdgeTwinCache& DataPlane::twin_cache() { return *impl_->twin_cache; }

Status DataPlane::load_models(Impl& impl, const std::string& text) {
  auto value = nlohmann::json::parse(text, nullptr, false);
  if (!value.is_array()) return make_error(Errc::invalid_argument, "twin models: expected a JSON array");
  std::vector<twin::TwinModel> models;
  for (const auto& m : value) {
    IOT_ASSIGN(auto model, twin::model_from_json(m));
    models.push_back(std::move(model));
  }
  impl.mapper.set_models(std::move(models));
  impl.models_json = text;
  return ok();
}

Status DataPlane::set_twin_models(const std::string& models_json) {
  if (models_json == impl_->models_json) return ok();
  IOT_TRY(load_models(*impl_, models_json));
  IOT_TRY(PosixFileSystem::instance().write_file_atomic(join_path(impl_->data_dir, "twin-models.json"), models_json));
  if (impl_->broker) IOT_TRY(impl_->broker->set_extra_topics(impl_->mapper.subscriptions()));
  return ok();
}

Status DataPlane::set_device_credentials(const std::map<std::string, std::string>& sha256_by_twin) {
  return impl_->broker ? impl_->broker->set_device_credentials(sha256_by_twin) : ok();
}

Status DataPlane::set_node_id(const std::string& node_id) {
  std::lock_guard lock(impl_->mu);
  impl_->node_id = node_id;
  if (impl_->ingest) impl_->ingest->set_attach_node(node_id);
  if (impl_->forwarding) return ok();
  std::vector<std::shared_ptr<api::HttpClient>> clients;
  for (int i = 0; i < 2; ++i) {
    IOT_ASSIGN(auto c, api::HttpClient::create(impl_->parent_url, impl_->client_options));
    clients.push_back(std::shared_ptr<api::HttpClient>(std::move(c)));
  }
  size_t next = 0;
  // One batch is in flight at a time, so a backlog drains at batch size / round trip: 65536
  // records (as the server's applier; max_bytes still caps a run at 4 MiB) drained 2x faster
  // than 8192 in bench/run dataplane.
  impl_->buffer->start({.max_records = 65536, .linger = std::chrono::milliseconds(20)},
                       [&](dataplane::Stream& s) {
                         return dataplane::forward_sink(node_id, s.options().name,
                                                        http_sender(clients[next++ % clients.size()]));
                       });
  impl_->forwarding = true;
  logger().info("forwarding as {} to {}", node_id, impl_->parent_url);
  return ok();
}

Status DataPlane::emit_event(const dataplane::Event& event) { return append_event(*impl_, event); }

void DataPlane::tap_events(std::function<void(std::span<const dataplane::Event>)> tap) {
  auto sink = [tap = std::move(tap)](uint64_t, std::span<const dataplane::Record> records) -> Status {
    std::vector<dataplane::Event> events;
    for (const auto& r : records) {
      if (const auto* e = std::get_if<dataplane::Event>(&r)) events.push_back(*e);
    }
    if (!events.empty()) tap(events);
    return ok();
  };
  impl_->tap = std::make_unique<dataplane::StreamConsumer>(*impl_->buffer->stream(dataplane::kEventsStream),
                                                           dataplane::ConsumerOptions{.name = "streams"}, std::move(sink));
  impl_->tap->start();
}

void DataPlane::set_task_log(std::function<Result<std::string>(const std::string&, const std::string&, size_t)> read) {
  std::lock_guard lock(impl_->mu);
  impl_->task_log = std::move(read);
}

void DataPlane::stop() {
  if (!impl_) return;
  if (impl_->tap) impl_->tap->stop();
  impl_->subscriber.reset();
  if (impl_->ingest) impl_->ingest->stop();
  if (impl_->http) impl_->http->stop();
  impl_->buffer->stop();
  if (impl_->broker) impl_->broker->stop();
}

std::string DataPlane::ingest_url() const { return impl_->ingest_url; }
std::string DataPlane::mqtt_url() const { return impl_->mqtt_url; }

void DataPlane::fill_kpis(model::NodeKpis& kpis) {
  for (const auto& r : impl_->buffer->report()) {
    model::BufferKpis b;
    b.stream = r.stream.name;
    b.backlog_records = r.stream.backlog_records;
    b.bytes = r.stream.bytes;
    b.max_bytes = r.stream.max_bytes;
    b.oldest_age_ms = r.stream.oldest_age_ns / 1'000'000;
    b.in_rate = r.rate_in;
    b.out_rate = r.rate_out;
    b.dropped = r.stream.dropped;
    b.rejected = r.stream.rejected;
    b.failures = r.consumer.failures;
    if (r.consumer.consecutive_failures > 0) b.last_error = r.consumer.last_error;
    kpis.buffers.push_back(std::move(b));
  }
  if (impl_->ingest) {
    auto s = impl_->ingest->stats();
    model::IngestKpis i;
    i.broker_url = impl_->mqtt_url;
    i.broker_running = impl_->broker ? impl_->broker->running() : impl_->subscriber != nullptr;
    i.broker_restarts = impl_->broker ? impl_->broker->restarts() : 0;
    i.messages = s.messages;
    i.samples = s.samples;
    i.events = s.events;
    i.invalid_messages = s.invalid_messages;
    i.rejected_fields = s.rejected_fields;
    kpis.ingest = std::move(i);
  }
}

}  // namespace iotwins::agent
