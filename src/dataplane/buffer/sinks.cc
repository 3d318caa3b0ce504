#include "dataplane/buffer/sinks.h"

#include <unordered_map>

#include "core/log.h"

namespace iotwins::dataplane {

RunSink forward_sink(std::string source_node, std::string stream, SendFrame send,
                     BatchEncodeOptions encode) {
  return [source = std::move(source_node), stream = std::move(stream), send = std::move(send),
          encode](uint64_t first_seq, std::span<const Record> records) -> Status {
    Batch batch{source, stream, first_seq, {records.begin(), records.end()}};
    IOT_ASSIGN(std::string frame, encode_batch(batch, encode));
    IOT_ASSIGN(BatchHeader header, decode_batch_header(frame));
    IOT_ASSIGN(uint64_t acked, send(frame, header));
    uint64_t last = first_seq + records.size() - 1;
    if (acked < last) {
      return make_error(Errc::unavailable, "the parent acknowledged seq " + std::to_string(acked) +
                                               " of a batch ending at " + std::to_string(last));
    }
    return ok();
  };
}

RunSink store_sink(tsdb::TimeSeriesStore& store, EventSink events,
                   std::function<void(int64_t)> observe_delay_ns, const Clock* clock) {
  if (!clock) clock = &SystemClock::instance();
  return [&store, events = std::move(events), observe = std::move(observe_delay_ns), clock](
             uint64_t, std::span<const Record> records) -> Status {
    struct Group {
      tsdb::SeriesKey key;
      std::vector<tsdb::Sample> samples;
    };
    std::vector<Group> groups;
    std::unordered_map<std::string, size_t> index;
    std::vector<Event> evs;
    int64_t now = clock->now_ns();
    for (const auto& r : records) {
      if (const auto* s = std::get_if<Sample>(&r)) {
        std::string name = s->twin;
        name += '\0';
        name += s->property;
        auto [it, fresh] = index.try_emplace(std::move(name), groups.size());
        if (fresh) groups.push_back({{s->twin, s->property, {}}, {}});
        groups[it->second].samples.push_back({s->ts_ns, s->value});
        if (observe) observe(now - s->ts_ns);
      } else {
        evs.push_back(std::get<Event>(r));
      }
    }
    if (!groups.empty()) {
      std::vector<tsdb::SeriesWrite> batch;
      batch.reserve(groups.size());
      for (const auto& g : groups) batch.push_back({g.key, g.samples});
      auto st = store.write(batch);
      if (!st && st.error().code() == Errc::invalid_argument) {
        // Some series refuses its samples (e.g. older than its retention): write the others
        // and drop those, loudly — retrying cannot make them acceptable.
        for (const auto& w : batch) {
          auto one = store.write({&w, 1});
          if (!one && one.error().code() != Errc::invalid_argument) return one;
          if (!one) {
            log::get("dataplane").warn("dropping {} samples the store refuses: {}",
                                       w.samples.size(), one.error().message());
          }
        }
      } else if (!st) {
        return st;
      }
    }
    if (!evs.empty() && events) IOT_TRY(events(evs));
    return ok();
  };
}

}  // namespace iotwins::dataplane
