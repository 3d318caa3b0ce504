// Streams between the tasks of a computing chain (issue #8, item 3). The orchestrator writes each
// StreamsTo relationship into the TaskSpecs as an address "<transport>:<stream>" in the source's
// `outputs` and the target's `inputs`:
//   inproc:<s>     both tasks builtin, on one node: records are handed over in memory
//   mqtt:<s>       one node, an external task involved: topic `iotwins-streams/<s>` on the node's broker
//   dataplane:<s>  different nodes: records travel up the data plane (buffered, exactly once per
//                  hop) as events of type `stream:<s>`; the receiving agent takes them from its
//                  own ingest when they pass through it, else from the server's event log
// A record is the text of one JSON object, by convention {"twin": …, "ts": <ms>, <field>: …}.
// The agent implements StreamHub for all three; InprocStreamHub (below) is the in-memory part,
// also what unit tests of builtin tasks use.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins::runtime {

// The MQTT topic of an mqtt: (or bridged) stream on the node's broker.
std::string stream_topic(std::string_view stream);

struct StreamAddress {
  std::string transport;  // inproc | mqtt | dataplane
  std::string stream;
};
// invalid_argument for anything but "<inproc|mqtt|dataplane>:<name>" with a name of
// [A-Za-z0-9._/-]{1,200} that has no empty, "." or ".." path segment.
Result<StreamAddress> parse_stream_address(std::string_view address);

class StreamSubscription {
 public:
  virtual ~StreamSubscription() = default;  // unsubscribes; no callback runs after it returns
};

class StreamHub {
 public:
  using RecordFn = std::function<void(std::string_view record)>;
  virtual ~StreamHub() = default;
  // Publishes one record on an output address. A transport that cannot take it now (no broker,
  // a full buffer) is an error the task may retry or count.
  virtual Status publish(const std::string& address, std::string_view record) = 0;
  // Delivers every record later published on the address to `on_record`, on a hub thread: it
  // must be short (queue the record). Ends when the subscription is destroyed.
  virtual Result<std::unique_ptr<StreamSubscription>> subscribe(const std::string& address, RecordFn on_record) = 0;
};

// The inproc transport: synchronous hand-over to every subscriber of the stream, in publish
// order per publisher. Thread-safe. Addresses of other transports are invalid_argument here.
class InprocStreamHub : public StreamHub {
 public:
  Status publish(const std::string& address, std::string_view record) override;
  Result<std::unique_ptr<StreamSubscription>> subscribe(const std::string& address, RecordFn on_record) override;
  // Delivery by stream name, whatever the transport (the agent routes other transports here).
  void deliver(const std::string& stream, std::string_view record);
  size_t subscribers(const std::string& stream) const;

 private:
  struct Sub {
    std::recursive_mutex mu;  // held while its callback runs: unsubscribing waits for a running one
    bool alive = true;
    RecordFn fn;
  };
  class Handle;
  void remove(const std::string& stream, const Sub* sub);

  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::shared_ptr<Sub>>> subs_;
};

// What a task knows of the node it runs on (builtin tasks talk to the server and the broker).
struct NodeContext {
  std::string node_id;
  std::string server_url;
  std::string ca_file;
  std::string bearer_token;
  std::string broker_url;  // the node's MQTT broker ("" when the agent runs none)
};

}  // namespace iotwins::runtime
