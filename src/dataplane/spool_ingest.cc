#include "dataplane/spool_ingest.h"

#include <simdjson.h>

#include "core/log.h"
#include "dataplane/spool_record.h"
#include "wal/tail.h"

namespace iotwins::dataplane {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("dataplane");
  return log;
}

// A JSON string literal.
std::string json_string(std::string_view s) { return "\"" + log::json_escape(s) + "\""; }

// "iotwins/<twin>/<rest>" → (twin, rest); empty twin when the topic is not of that shape.
std::pair<std::string_view, std::string_view> split_topic(std::string_view topic) {
  constexpr std::string_view prefix = "iotwins/";
  if (!topic.starts_with(prefix)) return {};
  topic.remove_prefix(prefix.size());
  size_t slash = topic.find('/');
  if (slash == std::string_view::npos) return {};
  return {topic.substr(0, slash), topic.substr(slash + 1)};
}

}  // namespace

SpoolIngest::SpoolIngest(FileSystem& fs, SpoolIngestOptions options, NodeBuffer& buffer,
                         ErrorReporter on_error)
    : fs_(fs),
      options_(std::move(options)),
      buffer_(buffer),
      on_error_(std::move(on_error)),
      decoder_(msg_clock_, options_.limits),
      json_(std::make_unique<simdjson::dom::parser>()) {}

SpoolIngest::~SpoolIngest() { stop(); }

void SpoolIngest::start() {
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void SpoolIngest::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SpoolIngestStats SpoolIngest::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

void SpoolIngest::loop() {
  std::chrono::milliseconds idle{1};
  for (;;) {
    auto n = step();
    if (!n) {
      {
        std::lock_guard lock(stats_mu_);
        stats_.last_error = n.error().message();
      }
      logger().warn("ingest from the broker spool: {} (retrying)", n.error().message());
      idle = std::chrono::milliseconds(500);
    } else {
      // Poll quickly while data flows, back off to 20 ms when idle.
      idle = *n > 0 ? std::chrono::milliseconds(0) : std::min(idle * 2 + std::chrono::milliseconds(1),
                                                              std::chrono::milliseconds(20));
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, idle, [&] { return stopping_; })) return;
  }
}

void SpoolIngest::report(const std::string& twin, std::string_view topic, const std::string& error,
                         const std::vector<FieldRejection>& rejected) {
  int64_t now = SystemClock::instance().now_ns();
  if (now - log_window_start_ > 1'000'000'000) {
    if (suppressed_ > 0) logger().warn("… {} more invalid messages not logged", suppressed_);
    log_window_start_ = now;
    logged_in_window_ = 0;
    suppressed_ = 0;
  }
  if (logged_in_window_++ < 5) {
    logger().warn("invalid data on {}: {}", topic, error);
  } else {
    ++suppressed_;
  }
  if (!on_error_) return;
  std::string json = "{\"topic\":" + json_string(topic) + ",\"error\":" + json_string(error);
  if (!rejected.empty()) {
    json += ",\"rejected\":[";
    for (size_t i = 0; i < rejected.size(); ++i) {
      json += (i ? "," : "") + std::string("{\"field\":") + json_string(rejected[i].field) +
              ",\"reason\":" + json_string(rejected[i].reason) + "}";
    }
    json += "]";
  }
  json += ",\"ts\":" + std::to_string(now / 1'000'000) + "}";
  on_error_(twin, json);
}

void SpoolIngest::set_attach_node(std::string node_id) {
  std::lock_guard lock(attach_mu_);
  if (node_id != attach_node_) attached_.clear();
  attach_node_ = std::move(node_id);
  if (attach_node_.empty() || unattached_.empty()) return;
  // Twins whose messages were ingested before the node was known (the agent's first seconds):
  // attached now, or their devices' twins would never learn which broker serves them.
  std::vector<Record> events;
  for (const auto& twin : unattached_) events.push_back(attached_event(twin));
  if (auto r = buffer_.stream(kEventsStream)->append_records(events); !r) {
    logger().warn("attaching {} twins seen before the node id was known: {} (retried with the next messages)",
                  unattached_.size(), r.error().message());
    return;
  }
  attached_.insert(unattached_.begin(), unattached_.end());
  unattached_.clear();
}

Record SpoolIngest::attached_event(const std::string& twin) const {
  return Event{twin, "$attached", SystemClock::instance().now_ns(), "{\"node\":" + json_string(attach_node_) + "}"};
}

void SpoolIngest::set_topic_mapper(TopicMapperFn mapper) {
  std::lock_guard lock(attach_mu_);
  mapper_ = std::move(mapper);
}

void SpoolIngest::set_reported_observer(ReportedObserver observer) {
  std::lock_guard lock(attach_mu_);
  observer_ = std::move(observer);
}

Result<size_t> SpoolIngest::step() {
  if (!tail_) {
    IOT_ASSIGN(auto acked, wal::read_external_offset(fs_, options_.spool_dir, options_.consumer));
    IOT_ASSIGN(tail_, wal::TailReader::open(fs_, options_.spool_dir, acked ? *acked + 1 : 1));
    std::lock_guard lock(stats_mu_);
    stats_.acked_seq = acked.value_or(0);
  }
  std::vector<Record> samples, events;
  size_t handled = 0;
  uint64_t last_seq = 0;
  SpoolIngestStats delta;
  while (handled < options_.max_messages_per_step) {
    auto rec = tail_->next();
    if (!rec && rec.error().code() == Errc::not_found) {
      // The plugin dropped records (policy drop_oldest) before we read them.
      IOT_ASSIGN(uint64_t first, tail_->first_available_seq());
      logger().warn("broker spool records {}..{} were dropped before ingest", tail_->next_seq(),
                    first - 1);
      tail_->seek(first);
      continue;
    }
    if (!rec) return std::unexpected(rec.error());
    if (!*rec) break;
    ++handled;
    last_seq = (*rec)->seq;
    auto msg = decode_spool_record((*rec)->payload);
    if (!msg) {
      ++delta.invalid_messages;
      report("", "(spool)", "spool record " + std::to_string(last_seq) + ": " + msg.error().message(), {});
      continue;
    }
    ++delta.messages;
    auto [twin, kind] = split_topic(msg->topic);
    std::string twin_s(twin);
    if (kind == "telemetry") {
      msg_clock_.set(msg->received_ns);
      auto t = decoder_.decode(msg->topic, msg->payload);
      if (!t) {
        ++delta.invalid_messages;
        report(twin_s, msg->topic, t.error().message(), {});
        continue;
      }
      for (auto& s : t->samples) samples.push_back(std::move(s));
      delta.samples += t->samples.size();
      if (!t->rejected.empty()) {
        delta.rejected_fields += t->rejected.size();
        report(twin_s, msg->topic, std::to_string(t->rejected.size()) + " fields rejected",
               t->rejected);
      }
      continue;
    }
    bool is_event = kind.starts_with("events/") && kind.size() > 7;
    if (kind != "reported" && !is_event) {
      TopicMapperFn mapper;
      {
        std::lock_guard lock(attach_mu_);
        mapper = mapper_;
      }
      std::string map_error;
      size_t before = samples.size(), events_before = events.size();
      if (mapper && mapper(msg->topic, msg->payload, msg->received_ns, samples, events, map_error)) {
        delta.samples += samples.size() - before;
        delta.events += events.size() - events_before;
        if (!map_error.empty()) {
          ++delta.invalid_messages;
          report(twin_s, msg->topic, map_error, {});
        }
        continue;
      }
      ++delta.unknown_topics;
      report(twin_s, msg->topic, "no twin model maps this topic", {});
      continue;
    }
    std::string type = kind == "reported" ? "reported" : std::string(kind.substr(7));
    std::string error;
    if (auto st = validate_twin_id(twin); !st) {
      error = st.error().message();
    } else if (type.starts_with('$')) {
      error = "event type '" + type + "': types starting with '$' are reserved for the platform";
    } else if (msg->payload.size() > options_.max_event_bytes) {
      error = "payload of " + std::to_string(msg->payload.size()) + " bytes exceeds the limit of " +
              std::to_string(options_.max_event_bytes);
    } else {
      simdjson::dom::element doc;
      auto err = json_->parse(msg->payload.data(), msg->payload.size()).get(doc);
      if (err) {
        error = std::string("not JSON: ") + simdjson::error_message(err);
      } else if (kind == "reported" && !doc.is_object()) {
        error = "reported state must be a JSON object";
      }
    }
    if (!error.empty()) {
      ++delta.invalid_messages;
      report(twin_s, msg->topic, error, {});
      continue;
    }
    events.push_back(Event{twin_s, type, msg->received_ns, std::string(msg->payload)});
    ++delta.events;
  }
  if (handled == 0) return 0;
  // Attachment events for twins not seen yet, in the same append as their data.
  std::vector<std::string> newly_attached;
  ReportedObserver observer;
  {
    std::lock_guard lock(attach_mu_);
    observer = observer_;
    if (attach_node_.empty()) {  // attached once the node id is set (set_attach_node)
      for (const auto& r : samples) unattached_.insert(std::get<Sample>(r).twin);
      for (const auto& r : events) unattached_.insert(std::get<Event>(r).twin);
      unattached_.erase("");
    } else {
      auto note = [&](const std::string& twin) {
        if (twin.empty() || attached_.contains(twin)) return;
        if (std::find(newly_attached.begin(), newly_attached.end(), twin) != newly_attached.end()) return;
        newly_attached.push_back(twin);
      };
      for (const auto& r : samples) note(std::get<Sample>(r).twin);
      for (const auto& r : events) note(std::get<Event>(r).twin);
      for (const auto& t : unattached_) note(t);  // a failed append in set_attach_node
      for (const auto& t : newly_attached) events.push_back(attached_event(t));
    }
  }
  Status st = ok();
  if (!samples.empty()) {
    auto r = buffer_.stream(kTelemetryStream)->append_records(samples);
    if (!r) st = std::unexpected(r.error());
  }
  if (st && !events.empty()) {
    auto r = buffer_.stream(kEventsStream)->append_records(events);
    if (!r) st = std::unexpected(r.error());
  }
  if (st) {
    // A spool this process owns takes the offset directly (and truncates); the broker
    // plugin's spool reads it from the offset file.
    st = options_.local_spool ? options_.local_spool->commit_offset(options_.consumer, last_seq)
                              : wal::commit_external_offset(fs_, options_.spool_dir, options_.consumer, last_seq);
  }
  if (!st) {
    tail_.reset();  // read these messages again from the acknowledged offset next time
    return std::unexpected(st.error());
  }
  if (!newly_attached.empty()) {
    std::lock_guard lock(attach_mu_);
    attached_.insert(newly_attached.begin(), newly_attached.end());
    for (const auto& t : newly_attached) unattached_.erase(t);
  }
  if (observer) {
    std::vector<Event> reported;
    for (const auto& r : events) {
      const auto& e = std::get<Event>(r);
      if (e.type == "reported") reported.push_back(e);
    }
    if (!reported.empty()) observer(reported);
  }
  std::lock_guard lock(stats_mu_);
  stats_.messages += delta.messages;
  stats_.samples += delta.samples;
  stats_.events += delta.events;
  stats_.invalid_messages += delta.invalid_messages;
  stats_.rejected_fields += delta.rejected_fields;
  stats_.unknown_topics += delta.unknown_topics;
  stats_.acked_seq = last_seq;
  return handled;
}

}  // namespace iotwins::dataplane
