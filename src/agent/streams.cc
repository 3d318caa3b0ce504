#include "agent/streams.h"

#include <nlohmann/json.hpp>

#include "agent/data_plane.h"
#include "core/clock.h"
#include "core/log.h"
#include "dataplane/codec/records.h"
#include "mqtt/client.h"

namespace iotwins::agent {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("streams");
  return log;
}

constexpr std::string_view kTypePrefix = "stream:";
constexpr int64_t kFeedLookbackMs = 60'000;  // a new dataplane subscriber also gets the last minute

int64_t now_ms() { return SystemClock::instance().now_ns() / 1'000'000; }

}  // namespace

// An mqtt: subscription: a client of its own on the node's broker (persistent session).
class AgentStreams::MqttSub : public runtime::StreamSubscription {
 public:
  std::unique_ptr<mqtt::MqttClient> client;
};

class AgentStreams::DataplaneSub : public runtime::StreamSubscription {
 public:
  DataplaneSub(AgentStreams& owner, std::string stream, std::unique_ptr<runtime::StreamSubscription> local)
      : owner_(owner), stream_(std::move(stream)), local_(std::move(local)) {}
  ~DataplaneSub() override {
    local_.reset();
    owner_.unsubscribe_dataplane(stream_);
  }

 private:
  AgentStreams& owner_;
  std::string stream_;
  std::unique_ptr<runtime::StreamSubscription> local_;
};

AgentStreams::AgentStreams(AgentStreamsOptions options) : options_(std::move(options)) {
  if (!options_.server_url.empty()) feed_thread_ = std::thread([this] { feed_loop(); });
}

AgentStreams::~AgentStreams() { stop(); }

void AgentStreams::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (feed_thread_.joinable()) feed_thread_.join();
  std::lock_guard lock(mu_);
  publisher_.reset();
}

void AgentStreams::set_node_id(const std::string& id) {
  std::lock_guard lock(mu_);
  node_id_ = id;
}

AgentStreams::Stats AgentStreams::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

mqtt::MqttClient* AgentStreams::publisher() {
  if (!publisher_ && !options_.broker_url.empty()) {
    auto c = mqtt::MqttClient::connect(options_.broker_url, "iotwins-streams-" + std::to_string(::getpid()));
    if (c) publisher_ = std::move(*c);
  }
  return publisher_.get();
}

Status AgentStreams::publish(const std::string& address, std::string_view record) {
  IOT_ASSIGN(auto a, runtime::parse_stream_address(address));
  if (a.transport == "inproc") {
    inproc_.deliver(a.stream, record);
  } else if (a.transport == "mqtt") {
    std::lock_guard lock(mu_);
    mqtt::MqttClient* pub = publisher();
    if (!pub) return make_error(Errc::unavailable, "stream " + address + ": this node has no MQTT broker");
    IOT_TRY(pub->publish(runtime::stream_topic(a.stream), record, 1));
  } else {
    auto rec = nlohmann::json::parse(record, nullptr, false);
    if (!rec.is_object()) return make_error(Errc::invalid_argument, "stream " + address + ": a record must be a JSON object");
    dataplane::Event e;
    if (rec["twin"].is_string() && dataplane::validate_twin_id(rec["twin"].get<std::string>())) {
      e.twin = rec["twin"].get<std::string>();
    }
    {
      std::lock_guard lock(mu_);
      // The seq is the publish time in ns, made strictly increasing: unique per sender and run,
      // and still increasing after a restart (the clock moved on).
      last_seq_ = std::max(last_seq_ + 1, SystemClock::instance().now_ns());
      e.ts_ns = last_seq_;
      e.json = nlohmann::json{{"src", node_id_}, {"seq", last_seq_}, {"record", std::move(rec)}}.dump();
    }
    e.type = std::string(kTypePrefix) + a.stream;
    if (!options_.data_plane) return make_error(Errc::unavailable, "stream " + address + ": no data plane");
    IOT_TRY(options_.data_plane->emit_event(e));
  }
  std::lock_guard lock(mu_);
  ++stats_.published;
  return ok();
}

Result<std::unique_ptr<runtime::StreamSubscription>> AgentStreams::subscribe(const std::string& address,
                                                                             RecordFn on_record) {
  IOT_ASSIGN(auto a, runtime::parse_stream_address(address));
  if (a.transport == "inproc") return inproc_.subscribe(address, std::move(on_record));
  if (a.transport == "mqtt") {
    if (options_.broker_url.empty()) {
      return make_error(Errc::unavailable, "stream " + address + ": this node has no MQTT broker");
    }
    auto sub = std::make_unique<MqttSub>();
    mqtt::MqttClient::Subscription s;
    s.filters = {runtime::stream_topic(a.stream)};
    s.on_message = [fn = std::move(on_record)](std::string_view, std::string_view payload, int, bool) { fn(payload); };
    static std::atomic<int> n{0};
    IOT_ASSIGN(sub->client, mqtt::MqttClient::connect(options_.broker_url,
                                                      "iotwins-stream-" + std::to_string(::getpid()) + "-" +
                                                          std::to_string(n++),
                                                      std::move(s)));
    return std::unique_ptr<runtime::StreamSubscription>(std::move(sub));
  }
  IOT_ASSIGN(auto local, dataplane_local_.subscribe("inproc:" + a.stream, std::move(on_record)));
  {
    std::lock_guard lock(mu_);
    if (feeds_[a.stream]++ == 0 && !cursors_.contains(a.stream)) cursors_[a.stream] = -(now_ms() - kFeedLookbackMs);
  }
  cv_.notify_all();
  return std::unique_ptr<runtime::StreamSubscription>(new DataplaneSub(*this, a.stream, std::move(local)));
}

void AgentStreams::unsubscribe_dataplane(const std::string& stream) {
  std::lock_guard lock(mu_);
  if (--feeds_[stream] <= 0) feeds_.erase(stream);
}

void AgentStreams::on_events(std::span<const dataplane::Event> events) {
  for (const auto& e : events) {
    if (!e.type.starts_with(kTypePrefix)) continue;
    deliver_dataplane(e.type.substr(kTypePrefix.size()), e.json);
  }
}

// payload: {"src", "seq", "record"}; delivered when (src, seq) is new for the stream.
void AgentStreams::deliver_dataplane(const std::string& stream, std::string_view payload) {
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object() || !j["src"].is_string() || !j["seq"].is_number_integer() || !j["record"].is_object()) return;
  {
    std::lock_guard lock(mu_);
    if (!feeds_.contains(stream)) return;  // nobody here takes this stream
    int64_t& high = seen_[stream][j["src"].get<std::string>()];
    int64_t seq = j["seq"].get<int64_t>();
    if (seq <= high) {
      ++stats_.duplicates;
      return;
    }
    high = seq;
    ++stats_.delivered;
  }
  dataplane_local_.deliver(stream, j["record"].dump());
}

// Polls the server's event log for each stream someone here subscribes to.
void AgentStreams::feed_loop() {
  std::unique_ptr<api::HttpClient> client;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.feed_poll, [&] { return stopping_; });
    if (stopping_) break;
    std::map<std::string, int64_t> work;
    for (const auto& [stream, n] : feeds_) work[stream] = cursors_[stream];
    lock.unlock();
    if (!client) {
      auto c = api::HttpClient::create(options_.server_url, options_.client);
      if (c) client = std::move(*c);
    }
    for (auto& [stream, cursor] : work) {
      if (!client) break;
      // cursor > 0: the last event id seen; cursor < 0: -(ms) to start from.
      std::string path = "/api/v1/events?limit=1000&type=" + api::percent_encode(std::string(kTypePrefix) + stream) +
                         (cursor > 0 ? "&after=" + std::to_string(cursor) : "&from=" + std::to_string(-cursor));
      auto res = client->request(api::Method::GET, path);
      if (!res || !res->ok()) {
        std::lock_guard g(mu_);
        ++stats_.feed_errors;
        if (stats_.feed_errors % 60 == 1) {
          logger().warn("stream {}: the server's event log: {}", stream,
                        res ? api::error_from_response(*res, "events").message() : res.error().message());
        }
        continue;
      }
      auto body = nlohmann::json::parse(res->body, nullptr, false);
      if (!body.is_object() || !body["items"].is_array()) continue;
      for (const auto& item : body["items"]) {
        if (item["id"].is_number_integer()) cursor = std::max(cursor, item["id"].get<int64_t>());
        if (item["data"].is_object()) deliver_dataplane(stream, item["data"].dump());
      }
      std::lock_guard g(mu_);
      if (cursors_.contains(stream) && cursor > 0) cursors_[stream] = cursor;
    }
    lock.lock();
  }
}

}  // namespace iotwins::agent
