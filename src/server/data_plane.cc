#include "server/data_plane.h"

#include "core/fs.h"
#include "core/metrics.h"
#include "dataplane/buffer/sinks.h"
#include "dataplane/node_buffer.h"
#include "dataplane/objects/store.h"
#include "events/event_log.h"
#include "twin/codec.h"
#include "twins/edge_cache.h"
#include "twins/events.h"
#include "twins/service.h"

namespace iotwins::server {
namespace {

// Numeric and boolean leaves of reported state become samples too (series twin + dotted path), so
// the history of any reported property is in the time-series store.
void reported_samples(const dataplane::Event& e, std::vector<dataplane::Record>& out) {
  auto value = twin::parse_json_text(e.json);
  if (!value || !value->is_object()) return;
  std::vector<std::pair<std::string, nlohmann::json>> leaves;
  std::string prefix;
  twins::flatten_leaves(twins::unwrap_reported(std::move(*value)), prefix, leaves);
  for (const auto& [path, v] : leaves) {
    if (v.is_number() || v.is_boolean()) {
      double x = v.is_boolean() ? (v.get<bool>() ? 1.0 : 0.0) : v.get<double>();
      out.push_back(dataplane::Sample{e.twin, path, e.ts_ns, x});
    }
  }
}

// The store first (samples, events), then the twins; both are idempotent per run, so a run
// retried after a failure of either is safe.
dataplane::RunSink twins_sink(dataplane::RunSink to_store, twins::TwinService& twins, std::string stream) {
  return [to_store = std::move(to_store), &twins, stream = std::move(stream)](
             uint64_t first_seq, std::span<const dataplane::Record> records) -> Status {
    std::vector<dataplane::Record> extra;
    for (const auto& r : records) {
      const auto* e = std::get_if<dataplane::Event>(&r);
      if (e && e->type == twins::kReportedEvent) reported_samples(*e, extra);
    }
    if (extra.empty()) {
      IOT_TRY(to_store(first_seq, records));
    } else {
      extra.insert(extra.begin(), records.begin(), records.end());
      IOT_TRY(to_store(first_seq, extra));
    }
    return twins.apply_records(stream, first_seq, records);
  };
}

}  // namespace

Result<std::unique_ptr<ServerDataPlane>> ServerDataPlane::start(const std::string& data_dir,
                                                                tsdb::TimeSeriesStore& store,
                                                                events::EventLog& events,
                                                                twins::TwinService& twins) {
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
    for (const auto& e : evs) {
      if (e.type.starts_with('$')) continue;  // the platform's own (twins/events.h)
      out.push_back({0, e.twin, e.type, e.ts_ns, e.json, 0});
    }
    IOT_ASSIGN(size_t n, events.append(out, SystemClock::instance().now_ns()));
    applied.inc(n);
    return ok();
  };
  dp->buffer_->start({.max_records = 65536, .linger = std::chrono::milliseconds(5)},
                     [&](dataplane::Stream& stream) {
                       if (stream.options().name == dataplane::kObjectsStream) {
                         return dataplane::object_store_sink(*dp->objects_);
                       }
                       auto to_store = dataplane::store_sink(store, event_sink, [&delay](int64_t ns) {
                         delay.observe(static_cast<double>(ns) / 1e9);
                       });
                       return twins_sink(std::move(to_store), twins, stream.options().name);
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
