// NodeBuffer: a node's data plane at rest — its streams (telemetry, events, objects), the receiver for
// batches from child nodes, and one consumer per stream (forwarder on agents, applier on the
// server), with their figures exported as Prometheus metrics.
//
//   <dir>/<stream>/       the stream's WAL segments and consumer offsets
//   <dir>/received        the receiver's applied-batch marks
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/fs.h"
#include "dataplane/buffer/consumer.h"
#include "dataplane/buffer/receiver.h"
#include "dataplane/buffer/stream.h"

namespace iotwins::dataplane {

inline constexpr std::string_view kTelemetryStream = "telemetry";
inline constexpr std::string_view kEventsStream = "events";

struct NodeBufferOptions {
  std::string dir;
  // Defaults: telemetry and events, 1 GiB each, and objects (file pieces, 4 GiB), policy reject
  // (nothing is lost silently: a full buffer refuses new data and the sender keeps it).
  std::vector<StreamOptions> streams;
  std::string consumer = "forward";
  std::string role = "agent";  // metrics label
};

struct ConsumerReport {
  StreamStats stream;
  ConsumerStats consumer;
  double rate_in = 0;   // records/s appended, over the last metrics period
  double rate_out = 0;  // records/s delivered
};

class NodeBuffer {
 public:
  static Result<std::unique_ptr<NodeBuffer>> open(FileSystem& fs, NodeBufferOptions options,
                                                  const Clock& clock = SystemClock::instance());
  ~NodeBuffer();

  Stream* stream(std::string_view name);
  // Stream for a record: samples → telemetry, object pieces → objects (if present), events → events.
  Stream& stream_for(const Record& record);
  Receiver& receiver() { return *receiver_; }

  // One consumer per stream, with the sink `make_sink` builds for it.
  void start(ConsumerOptions base, const std::function<RunSink(Stream&)>& make_sink);
  void stop();

  std::vector<ConsumerReport> report();

 private:
  NodeBuffer(NodeBufferOptions options) : options_(std::move(options)) {}
  void metrics_loop();

  NodeBufferOptions options_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::unique_ptr<Receiver> receiver_;
  std::vector<std::unique_ptr<StreamConsumer>> consumers_;
  std::thread metrics_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<double> rate_in_, rate_out_;
};

}  // namespace iotwins::dataplane
