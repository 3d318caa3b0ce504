// Options of the broker plugin, from the Mosquitto config (`plugin_opt_<key> <value>`).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "dataplane/full_policy.h"
#include "wal/wal.h"

namespace iotwins::dataplane::broker {

using dataplane::FullPolicy;  // reject: the PUBLISH goes unacknowledged and the device resends

struct SpoolOptions {
  std::string spool_dir;                              // required
  wal::FsyncPolicy fsync = wal::FsyncPolicy::periodic;  // periodic | always
  std::chrono::microseconds sync_interval{2000};
  uint64_t max_bytes = 1ull << 30;                    // the spool's size limit
  FullPolicy full_policy = FullPolicy::reject;
  uint32_t max_payload = 256u << 10;
  // MQTT topic filters (+ and #) of the messages to spool.
  std::vector<std::string> topics = {"iotwins/+/telemetry", "iotwins/+/reported",
                                     "iotwins/+/events/#"};
};

// Keys: spool_dir, fsync, sync_interval_ms, max_bytes, full_policy, max_payload, topics
// (space-separated filters replacing the defaults), extra_topics (added to them). An unknown
// key or a bad value is an error naming the key and what is allowed.
Result<SpoolOptions> parse_spool_options(
    const std::vector<std::pair<std::string, std::string>>& options);

// MQTT topic matching: '+' one level, '#' (last) any number of levels including none; topics
// starting with '$' do not match filters starting with a wildcard.
bool topic_matches(std::string_view filter, std::string_view topic);
// A filter is 1..65535 bytes with '+' and '#' only as whole levels and '#' only last.
Status validate_topic_filter(std::string_view filter);

// The Wal options the plugin opens its spool with.
wal::WalOptions spool_wal_options(const SpoolOptions& options);

}  // namespace iotwins::dataplane::broker
