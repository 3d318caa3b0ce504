// SpoolWriter: what the broker plugin does with a PUBLISH, without Mosquitto's API (plugin.cc
// adapts it), so tests can drive it directly.
//
// For a message whose topic matches a filter it appends one SpoolRecord to the spool Wal and
// answers `spooled` once the append returned (written to the OS under fsync periodic,
// fdatasynced under always). The broker acknowledges only then. A full spool answers `refuse`
// under policy reject (the broker must not acknowledge; the device resends), or first drops
// the oldest segments under drop_oldest. A payload over max_payload is refused for good
// (`too_large`: the broker acknowledges and discards it, as it does for an ACL denial, since a
// resend could never succeed). JSON is not looked at here: the agent validates payloads.
//
// Threading: Mosquitto calls plugins from its one thread; a SpoolWriter is used by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/fs.h"
#include "core/result.h"
#include "dataplane/broker/spool_options.h"
#include "wal/wal.h"

namespace iotwins::dataplane::broker {

struct SpoolCounters {
  uint64_t spooled = 0;         // records appended
  uint64_t ignored = 0;         // messages on other topics
  uint64_t refused_full = 0;    // refused unacknowledged: spool full (policy reject)
  uint64_t refused_error = 0;   // refused unacknowledged: append failed (disk, failed log)
  uint64_t too_large = 0;       // payload over max_payload: acknowledged and discarded
  uint64_t dropped = 0;         // spooled records deleted unread by drop_oldest
  uint64_t reopened = 0;        // times the spool was reopened after a failure
};

enum class Verdict { spooled, ignored, refuse, too_large };

// level: 0 info, 1 warning, 2 error.
using LogSink = std::function<void(int level, const std::string& message)>;

class SpoolWriter {
 public:
  static Result<std::unique_ptr<SpoolWriter>> open(FileSystem& fs, SpoolOptions options,
                                                   LogSink log, const Clock* clock = nullptr);

  Verdict on_message(std::string_view client_id, std::string_view topic,
                     std::string_view payload, uint8_t qos, bool retain);

  // Periodic work (the broker's tick): applies consumers' external offsets (which frees
  // acknowledged segments) at most every 200 ms, writes the counters to "<spool_dir>/broker.stats"
  // at most every second, and reopens a spool that failed.
  void tick();
  // Writes the counters file now.
  Status write_stats();

  const SpoolCounters& counters() const { return counters_; }
  wal::Wal* wal() { return wal_.get(); }
  const SpoolOptions& options() const { return opts_; }

 private:
  SpoolWriter(FileSystem& fs, SpoolOptions options, LogSink log, const Clock& clock)
      : fs_(fs), opts_(std::move(options)), log_(std::move(log)), clock_(clock) {}
  Result<uint64_t> append_with_policy(std::string_view record);
  // At most one message per kind and second; says how many were suppressed.
  void log_limited(int kind, int level, const std::string& message);

  FileSystem& fs_;
  const SpoolOptions opts_;
  LogSink log_;
  const Clock& clock_;
  std::unique_ptr<wal::Wal> wal_;
  std::string record_;  // reused encoding buffer
  SpoolCounters counters_;
  std::chrono::steady_clock::time_point next_offsets_{}, next_stats_{};
  struct Limit {
    std::chrono::steady_clock::time_point next{};
    uint64_t suppressed = 0;
  };
  Limit limits_[4];
};

inline constexpr std::string_view kBrokerStatsFile = "broker.stats";

}  // namespace iotwins::dataplane::broker
