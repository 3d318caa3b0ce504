// AgentStreams: the agent's StreamHub — how the tasks of a computing chain exchange records
// (runtime/streams.h has the addresses):
//   inproc:<s>     handed over in memory (runtime::InprocStreamHub)
//   mqtt:<s>       topic iotwins-streams/<s> on the node's broker (QoS 1)
//   dataplane:<s>  published as an event of type `stream:<s>` into the node's events stream, so it
//                  travels up the data plane with its buffering; {"src": node, "seq": n, "record": …}
//                  A subscriber gets the records from two places: the events passing through this
//                  node's own data plane (a child's records, at once and while the cloud is cut
//                  off), and the server's event log (GET /api/v1/events?type=stream:<s>) for a
//                  sender that is not below this node. A (src, seq) seen already is dropped, so a
//                  record reaches each subscriber once per agent run.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>

#include "api/http_client.h"
#include "runtime/streams.h"

namespace iotwins::dataplane {
struct Event;
}
namespace iotwins::mqtt {
class MqttClient;
}

namespace iotwins::agent {

class DataPlane;

struct AgentStreamsOptions {
  std::string broker_url;       // the node's broker; "" → mqtt: addresses fail
  DataPlane* data_plane = nullptr;
  std::string server_url;       // the server's event log, for dataplane: inputs
  api::ClientOptions client;
  std::chrono::milliseconds feed_poll{1000};
};

class AgentStreams : public runtime::StreamHub {
 public:
  explicit AgentStreams(AgentStreamsOptions options);
  ~AgentStreams() override;

  // The node id names this agent's records (src); set once registered (records published before
  // carry the id stored from the last run, or "unregistered").
  void set_node_id(const std::string& id);
  Status publish(const std::string& address, std::string_view record) override;
  Result<std::unique_ptr<runtime::StreamSubscription>> subscribe(const std::string& address, RecordFn on_record) override;
  // Events from the data plane's tap: the stream records among them go to their subscribers.
  void on_events(std::span<const dataplane::Event> events);
  void stop();

  struct Stats {
    uint64_t published = 0, delivered = 0, duplicates = 0, feed_errors = 0;
  };
  Stats stats() const;

 private:
  class MqttSub;
  class DataplaneSub;
  void deliver_dataplane(const std::string& stream, std::string_view payload);
  void feed_loop();
  void unsubscribe_dataplane(const std::string& stream);
  mqtt::MqttClient* publisher();

  AgentStreamsOptions options_;
  runtime::InprocStreamHub inproc_;
  runtime::InprocStreamHub dataplane_local_;  // dataplane: subscribers, by stream name
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string node_id_ = "unregistered";
  int64_t last_seq_ = 0;
  std::unique_ptr<mqtt::MqttClient> publisher_;
  std::map<std::string, std::map<std::string, int64_t>> seen_;  // stream → src → highest seq delivered
  std::map<std::string, int> feeds_;                             // stream → subscribers (feed polled)
  std::map<std::string, int64_t> cursors_;                       // stream → event log cursor (0: from now)
  bool stopping_ = false;
  Stats stats_;
  std::thread feed_thread_;
};

}  // namespace iotwins::agent
