// Receiver: applies batch frames from child nodes to the local streams exactly once, and
// answers with the highest sequence number it has made durable for (source, stream) — the
// receiving half of `POST /api/v1/ingest`, on the server and on every edge agent.
//
// Exactly once: per (source node, stream) it keeps the highest applied seq. A batch wholly at
// or below it is a duplicate (acknowledged again, nothing appended); records of a batch that
// overlaps it are skipped up to it; a batch starting beyond it is applied and the gap (records
// the sender dropped under its drop_oldest policy) is counted. The records and an origin marker
// "(source, stream) applied up to seq" go into the local stream in ONE append, so after a
// crash the high-water marks are rebuilt from the state file plus the markers written after
// it (the file records, per local stream, up to which seq it covers the markers). A marker is
// kept from truncation until the state file covers it (commit_limit()).
//
// Thread-safe: receive() calls are serialized.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/fs.h"
#include "core/result.h"
#include "dataplane/buffer/stream.h"
#include "dataplane/codec/batch_frame.h"

namespace iotwins::dataplane {

// Device timestamp → durable here, over the most recent samples received from one source.
struct DelayStats {
  uint64_t samples = 0;  // in the window (at most kDelayWindow)
  double p50_ms = 0;
  double p99_ms = 0;
};
inline constexpr size_t kDelayWindow = 4096;

struct ReceiveResult {
  std::string source;
  std::string stream;
  uint64_t acked_seq = 0;  // highest seq of (source, stream) durable here
  uint64_t applied = 0;    // records appended by this call
  uint64_t duplicates = 0; // records already applied before
  uint64_t gap = 0;        // records missing before this batch (dropped by the sender)
};

class Receiver {
 public:
  using StreamLookup = std::function<Stream*(std::string_view name)>;

  // `state_file`: where the high-water marks live. Scans the local streams for markers newer
  // than the file.
  static Result<std::unique_ptr<Receiver>> open(FileSystem& fs, std::string state_file,
                                                std::vector<Stream*> streams,
                                                BatchLimits limits = {});

  Result<ReceiveResult> receive(std::string_view frame);

  // The highest applied seq of (source, stream); 0 if none.
  uint64_t high_water(std::string_view source, std::string_view stream) const;
  // The highest seq of `local_stream` a consumer may commit (truncation must keep markers the
  // state file does not cover yet).
  uint64_t commit_limit(std::string_view local_stream) const;

  // The end-to-end delay of samples from `source` (its own and what it relayed).
  DelayStats delay(std::string_view source) const;

  uint64_t batches() const { return batches_; }
  uint64_t duplicate_batches() const { return duplicate_batches_; }

 private:
  Receiver(FileSystem& fs, std::string state_file, std::vector<Stream*> streams,
           BatchLimits limits)
      : fs_(fs), state_file_(std::move(state_file)), streams_(std::move(streams)), limits_(limits) {}
  Status load();
  Status save();
  Stream* find(std::string_view name) const;

  FileSystem& fs_;
  std::string state_file_;
  std::vector<Stream*> streams_;
  BatchLimits limits_;
  mutable std::mutex mu_;
  // "source\nstream" → applied seq
  std::map<std::string, uint64_t, std::less<>> high_;
  // local stream → seq up to which the saved file reflects its markers
  std::map<std::string, uint64_t, std::less<>> covered_;
  // local stream → seq of a marker appended but not yet saved (0: none)
  std::map<std::string, uint64_t, std::less<>> pending_;
  uint64_t batches_ = 0, duplicate_batches_ = 0;
  struct DelayRing {
    std::vector<int64_t> ns;
    size_t next = 0;
  };
  std::map<std::string, DelayRing, std::less<>> delays_;
};

}  // namespace iotwins::dataplane
