#include "server/data_plane.h"

#include "core/fs.h"
#include "core/metrics.h"
#include "dataplane/buffer/sinks.h"
#include "dataplane/node_buffer.h"
#include "dataplane/objects/store.h"
#include "events/event_log.h"

namespace iotwins::server {

Result<std::unique_ptr<ServerDataPlane>> ServerDataPlane::start(const std::string& data_dir,
                                                                tsdb::TimeSeriesStore& store,
                                                                events::EventLog& events) {
  std::unique_ptr<ServerDataPlane> dp(new ServerDataPlane());
  IOT_ASSIGN(dp->objects_, dataplane::ObjectStore::open(PosixFileSystem::instance(), join_path(data_dir, "objects")));
  dataplane::NodeBufferOptions o;
  o.dir = join_path(data_dir, "ingest");
  o.consumer = "apply";
  o.role = "server";
  IOT_ASSIGN(dp->buffer_, dataplane::NodeBuffer::open(PosixFileSystem::instance(), o));
  // Device timestamp → durable in the cloud store: the end-to-end delay of the data plane.
  auto& delay = metrics::Registry::global().histogram(
      "iotwins_ingest_delay_seconds", "device timestamp to durable in the server's store", {},
      {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 300});
  auto& applied = metrics::Registry::global().counter("iotwins_ingest_events_applied_total",
                                                      "events appended to the event log");
  dataplane::EventSink event_sink = [&events, &applied](std::span<const dataplane::Event> evs) -> Status {
    std::vector<events::Event> out;
    out.reserve(evs.size());
    for (const auto& e : evs) out.push_back({0, e.twin, e.type, e.ts_ns, e.json, 0});
    IOT_ASSIGN(size_t n, events.append(out, SystemClock::instance().now_ns()));
    applied.inc(n);
    return ok();
  };
  dp->buffer_->start({.max_records = 65536, .linger = std::chrono::milliseconds(5)},
                     [&](dataplane::Stream& stream) {
                       if (stream.options().name == dataplane::kObjectsStream) {
                         return dataplane::object_store_sink(*dp->objects_);
                       }
                       return dataplane::store_sink(store, event_sink, [&delay](int64_t ns) {
                         delay.observe(static_cast<double>(ns) / 1e9);
                       });
                     });
  return dp;
}

ServerDataPlane::~ServerDataPlane() { stop(); }

dataplane::Receiver& ServerDataPlane::receiver() { return buffer_->receiver(); }
dataplane::ObjectStore& ServerDataPlane::objects() { return *objects_; }

void ServerDataPlane::stop() {
  if (buffer_) buffer_->stop();
}

}  // namespace iotwins::server
