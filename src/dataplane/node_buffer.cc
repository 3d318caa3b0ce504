#include "dataplane/node_buffer.h"

#include "core/log.h"
#include "core/metrics.h"
#include "dataplane/objects/chunk.h"

namespace iotwins::dataplane {

Result<std::unique_ptr<NodeBuffer>> NodeBuffer::open(FileSystem& fs, NodeBufferOptions options,
                                                     const Clock& clock) {
  if (options.streams.empty()) {
    options.streams.push_back({.name = std::string(kTelemetryStream)});
    options.streams.push_back({.name = std::string(kEventsStream)});
    // Files are bulky: their own limit, so a large upload never starves telemetry.
    options.streams.push_back({.name = std::string(kObjectsStream), .max_bytes = 4ull << 30});
  }
  for (auto& s : options.streams) s.consumer = options.consumer;
  std::unique_ptr<NodeBuffer> nb(new NodeBuffer(std::move(options)));
  IOT_TRY(fs.create_dirs(nb->options_.dir));
  std::vector<Stream*> raw;
  for (const auto& so : nb->options_.streams) {
    IOT_ASSIGN(auto s, Stream::open(fs, join_path(nb->options_.dir, so.name), so, clock));
    raw.push_back(s.get());
    nb->streams_.push_back(std::move(s));
  }
  if (!nb->stream(kTelemetryStream) || !nb->stream(kEventsStream)) {
    return make_error(Errc::invalid_argument, "a node buffer needs the streams telemetry and events");
  }
  IOT_ASSIGN(nb->receiver_, Receiver::open(fs, join_path(nb->options_.dir, "received"), raw));
  nb->rate_in_.assign(nb->streams_.size(), 0);
  nb->rate_out_.assign(nb->streams_.size(), 0);
  nb->metrics_thread_ = std::thread([p = nb.get()] { p->metrics_loop(); });
  return nb;
}

NodeBuffer::~NodeBuffer() {
  stop();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (metrics_thread_.joinable()) metrics_thread_.join();
}

Stream* NodeBuffer::stream(std::string_view name) {
  for (auto& s : streams_) {
    if (s->options().name == name) return s.get();
  }
  return nullptr;
}

Stream& NodeBuffer::stream_for(const Record& record) {
  if (is_chunk_event(record)) {
    if (Stream* s = stream(kObjectsStream)) return *s;
  }
  return *stream(std::holds_alternative<Sample>(record) ? kTelemetryStream : kEventsStream);
}

void NodeBuffer::start(ConsumerOptions base, const std::function<RunSink(Stream&)>& make_sink) {
  base.name = options_.consumer;
  for (auto& s : streams_) {
    ConsumerOptions o = base;
    o.commit_limit = [r = receiver_.get(), name = s->options().name] { return r->commit_limit(name); };
    consumers_.push_back(std::make_unique<StreamConsumer>(*s, o, make_sink(*s)));
    consumers_.back()->start();
  }
}

void NodeBuffer::stop() {
  for (auto& c : consumers_) c->stop();
}

std::vector<ConsumerReport> NodeBuffer::report() {
  std::vector<ConsumerReport> out;
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < streams_.size(); ++i) {
    ConsumerReport r;
    r.stream = streams_[i]->stats();
    if (i < consumers_.size()) r.consumer = consumers_[i]->stats();
    r.rate_in = rate_in_[i];
    r.rate_out = rate_out_[i];
    out.push_back(std::move(r));
  }
  return out;
}

// Every second: rates, and the gauges/counters under /metrics.
void NodeBuffer::metrics_loop() {
  auto& reg = metrics::Registry::global();
  std::vector<uint64_t> last_in(streams_.size()), last_out(streams_.size());
  auto last_t = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; })) {
    lock.unlock();
    auto now = std::chrono::steady_clock::now();
    double dt = std::chrono::duration<double>(now - last_t).count();
    last_t = now;
    std::vector<double> in(streams_.size()), out(streams_.size());
    for (size_t i = 0; i < streams_.size(); ++i) {
      // The age limit applies also while nothing new arrives.
      if (auto dropped = streams_[i]->enforce_age(); !dropped) {
        log::get("dataplane").warn("{}", dropped.error().message());
      }
      auto st = streams_[i]->stats();
      uint64_t delivered = i < consumers_.size() ? consumers_[i]->stats().delivered_records : 0;
      in[i] = dt > 0 ? (st.appended - last_in[i]) / dt : 0;
      out[i] = dt > 0 ? (delivered - last_out[i]) / dt : 0;
      last_in[i] = st.appended;
      last_out[i] = delivered;
      metrics::Labels l{{"role", options_.role}, {"stream", st.name}};
      reg.gauge("iotwins_buffer_backlog_records", "records not yet forwarded/applied", l)
          .set(static_cast<double>(st.backlog_records));
      reg.gauge("iotwins_buffer_bytes", "bytes of the stream's log on disk", l).set(static_cast<double>(st.bytes));
      reg.gauge("iotwins_buffer_saturation", "buffered bytes / the stream's limit", l)
          .set(st.max_bytes ? static_cast<double>(st.bytes) / static_cast<double>(st.max_bytes) : 0);
      reg.gauge("iotwins_buffer_oldest_age_seconds", "age of the oldest record not yet forwarded", l)
          .set(static_cast<double>(st.oldest_age_ns) / 1e9);
      reg.gauge("iotwins_buffer_in_rate", "records/s appended", l).set(in[i]);
      reg.gauge("iotwins_buffer_out_rate", "records/s forwarded or applied", l).set(out[i]);
      reg.gauge("iotwins_buffer_dropped_records", "records dropped by the full policy or age", l)
          .set(static_cast<double>(st.dropped));
      reg.gauge("iotwins_buffer_rejected_appends", "appends refused because the stream was full", l)
          .set(static_cast<double>(st.rejected));
      if (i < consumers_.size()) {
        reg.gauge("iotwins_buffer_delivery_failures", "failed forward/apply attempts", l)
            .set(static_cast<double>(consumers_[i]->stats().failures));
      }
    }
    lock.lock();
    rate_in_ = in;
    rate_out_ = out;
  }
}

}  // namespace iotwins::dataplane
