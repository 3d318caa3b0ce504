// The two RunSinks the platform uses: forwarding to the parent level as batch frames, and
// applying to the time-series store on the server.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "dataplane/buffer/consumer.h"
#include "dataplane/codec/batch_frame.h"
#include "tsdb/store.h"

namespace iotwins::dataplane {

// Sends one frame to the parent; returns the highest seq the parent has made durable for the
// frame's (source, stream). A transport error or a refusal is an Error (retried).
using SendFrame = std::function<Result<uint64_t>(const std::string& frame, const BatchHeader& header)>;

// Encodes (source, stream, first seq, records) as a zstd batch frame and sends it; succeeds
// only when the parent acknowledges at least the run's last seq.
RunSink forward_sink(std::string source_node, std::string stream, SendFrame send,
                     BatchEncodeOptions encode = {});

// Called with the events of a run (twin, type, ts, JSON), e.g. reported state for the twins.
using EventSink = std::function<Status(std::span<const Event> events)>;

// Samples go to the store in one batch per run (grouped by series, in order); events to
// `events` when set. Sample delay (now - sample ts) is reported through `observe_delay_ns`.
RunSink store_sink(tsdb::TimeSeriesStore& store, EventSink events = {},
                   std::function<void(int64_t delay_ns)> observe_delay_ns = {},
                   const Clock* clock = nullptr);

}  // namespace iotwins::dataplane
