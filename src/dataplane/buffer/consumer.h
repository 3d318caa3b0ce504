// StreamConsumer: a thread that hands a stream's records, in order, in runs of consecutive
// sequence numbers, to a sink, and commits the consumer's offset only after the sink
// succeeded — at-least-once delivery from a durable stream, resumable after any restart.
//
// The forwarder is a StreamConsumer whose sink encodes a batch frame and sends it to the
// parent (which deduplicates, so the whole path is exactly once); the server's applier is one
// whose sink writes to the time-series store (idempotent: the last write of a timestamp wins).
//
// A run ends at max_records / max_bytes, at an origin marker (never delivered) or when no new
// record arrives for `linger`. A second thread reads and decodes the next run while the current
// one is delivered; runs are still delivered one at a time, in order. A failing sink is retried with the same run after an exponential
// backoff with full jitter (capped); the error is kept in stats() for monitoring.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <optional>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "core/result.h"
#include "dataplane/buffer/stream.h"
#include "wal/reader.h"

namespace iotwins::dataplane {

struct ConsumerOptions {
  std::string name = "forward";  // the WAL consumer name (its offset is persisted)
  size_t max_records = 8192;
  size_t max_bytes = 4u << 20;
  std::chrono::milliseconds linger{20};
  std::chrono::milliseconds backoff_base{200};
  std::chrono::milliseconds backoff_cap{30'000};
  // Highest seq that may be committed (e.g. Receiver::commit_limit); none when empty.
  std::function<uint64_t()> commit_limit;
};

// Delivers records first_seq, first_seq + 1, …; ok means they are done with.
using RunSink = std::function<Status(uint64_t first_seq, std::span<const Record> records)>;

struct ConsumerStats {
  uint64_t delivered_records = 0;
  uint64_t delivered_runs = 0;
  uint64_t failures = 0;
  uint64_t consecutive_failures = 0;
  uint64_t offset = 0;  // committed
  std::string last_error;
};

class StreamConsumer {
 public:
  StreamConsumer(Stream& stream, ConsumerOptions options, RunSink sink);
  ~StreamConsumer();
  StreamConsumer(const StreamConsumer&) = delete;
  StreamConsumer& operator=(const StreamConsumer&) = delete;

  void start();
  void stop();  // returns once the thread has ended; an in-flight sink call completes first
  ConsumerStats stats() const;

 private:
  struct Run {
    uint64_t first = 0;     // seq of records[0]
    uint64_t consumed = 0;  // last seq the run covers (markers included): committed after it
    std::vector<Record> records;
  };
  void loop();       // delivers runs in order and commits (the consumer's thread)
  void read_loop(uint64_t next_seq);  // reads runs ahead (a second thread)
  Result<std::optional<Run>> read_run(uint64_t& next_seq);
  bool deliver(const Run& run);  // false when stopping before it was delivered
  bool wait(std::chrono::milliseconds d);  // false when stopping
  Status commit(uint64_t seq);

  Stream& stream_;
  std::unique_ptr<wal::Reader> reader_;  // the read thread's, kept between runs
  ConsumerOptions options_;
  RunSink sink_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  ConsumerStats stats_;
  std::deque<Run> runs_;  // read ahead, not yet delivered (at most one)
};

}  // namespace iotwins::dataplane
