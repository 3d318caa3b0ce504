// SpoolIngest: the agent's ingest stage. It tails the spool the broker plugin writes (one
// record per device PUBLISH, durable before the device's PUBACK), decodes and validates each
// message, appends what it yields to the node's buffer streams, and only then acknowledges the
// spool records (so the plugin may delete them).
//
// Topics (ARCHITECTURE.md §4):
//   iotwins/<twin>/telemetry     JSON object of numbers (+ optional "ts") → samples (telemetry)
//   iotwins/<twin>/reported      a partial JSON document → event "reported" (events stream)
//   iotwins/<twin>/events/<type> any JSON value → event <type> (events stream); types starting
//                                with '$' are the platform's own and refused from devices
// A message without "ts" is stamped with the time the broker received it.
//
// Invalid messages — and rejected fields of otherwise good telemetry — are counted, logged at
// most a few times per second, and reported through `on_error` (the agent publishes them on
// iotwins/<twin>/errors). They never stop ingest. A buffer that is full under policy reject
// stops the stage (nothing acknowledged) until it has room: back-pressure reaches the plugin,
// which then refuses PUBLISHes unacknowledged.
//
// Delivery: spool → buffer is at-least-once: a crash between the buffer append and the spool
// acknowledgement re-ingests those messages on restart. Both are durable within milliseconds
// of each other, and duplicates are harmless downstream (a sample of the same series and
// timestamp overwrites itself; events carry the broker's receive time).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/fs.h"
#include "dataplane/codec/telemetry.h"
#include "dataplane/node_buffer.h"

namespace iotwins::wal {
class TailReader;
class Wal;
}
namespace simdjson::dom {
class parser;
}

namespace iotwins::dataplane {

struct SpoolIngestOptions {
  std::string spool_dir;
  std::string consumer = "agent";
  size_t max_messages_per_step = 4096;
  TelemetryLimits limits;
  size_t max_event_bytes = 64u << 10;
  // The spool's Wal when this process writes it too (an external broker): offsets are
  // committed to it directly. Null: the broker plugin owns it (offset file).
  wal::Wal* local_spool = nullptr;
};

struct SpoolIngestStats {
  uint64_t messages = 0;
  uint64_t samples = 0;
  uint64_t events = 0;
  uint64_t invalid_messages = 0;
  uint64_t rejected_fields = 0;
  uint64_t unknown_topics = 0;
  uint64_t acked_seq = 0;  // spool records acknowledged
  std::string last_error;
};

// The reported-state events one ingest step made durable (twin, "reported", receive time, JSON text),
// handed over together so the observer can apply them in one go.
using ReportedObserver = std::function<void(std::span<const Event> reported)>;

// Maps a message on a topic outside iotwins/<twin>/… (a twin model's topic mapping) into records:
// false when nothing maps the topic; true with `error` set when the payload was unusable.
using TopicMapperFn = std::function<bool(std::string_view topic, std::string_view payload, int64_t received_ns,
                                         std::vector<Record>& samples, std::vector<Record>& events, std::string& error)>;

// (twin, JSON text of the error report). twin is "" when the topic names none.
using ErrorReporter = std::function<void(const std::string& twin, const std::string& json)>;

class SpoolIngest {
 public:
  SpoolIngest(FileSystem& fs, SpoolIngestOptions options, NodeBuffer& buffer,
              ErrorReporter on_error = {});
  ~SpoolIngest();
  void start();
  void stop();
  SpoolIngestStats stats() const;

  // One pass over what is in the spool now (tests and the thread); returns messages handled.
  Result<size_t> step();

  // Once set, the first message of each twin (since then) also appends a `$attached` event
  // {"node": node_id} in the same append, so the server learns which agent's broker the twin's
  // device talks to (where its desired-state deltas must go). Twins whose messages came before
  // it was set get theirs when it is set.
  void set_attach_node(std::string node_id);
  // Called after each append with the reported-state messages in it (the edge twin cache).
  void set_reported_observer(ReportedObserver observer);
  // Devices with their own topics: messages outside iotwins/<twin>/… go through `mapper`.
  void set_topic_mapper(TopicMapperFn mapper);

 private:
  void loop();
  void report(const std::string& twin, std::string_view topic, const std::string& error,
              const std::vector<FieldRejection>& rejected);

  FileSystem& fs_;
  SpoolIngestOptions options_;
  NodeBuffer& buffer_;
  ErrorReporter on_error_;
  Record attached_event(const std::string& twin) const;  // under attach_mu_

  std::mutex attach_mu_;  // guards the three below and observer_
  std::string attach_node_;
  std::set<std::string, std::less<>> attached_;
  std::set<std::string, std::less<>> unattached_;  // seen before attach_node_ was set
  ReportedObserver observer_;
  TopicMapperFn mapper_;
  ManualClock msg_clock_;  // the decoder's "now": each message's broker receive time
  TelemetryDecoder decoder_;
  std::unique_ptr<simdjson::dom::parser> json_;  // validates reported/event payloads
  std::unique_ptr<wal::TailReader> tail_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  mutable std::mutex stats_mu_;
  SpoolIngestStats stats_;
  int64_t log_window_start_ = 0;
  int logged_in_window_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace iotwins::dataplane
