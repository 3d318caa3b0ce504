#include "dataplane/broker/spool_options.h"

#include <algorithm>
#include <charconv>

#include "dataplane/spool_record.h"
#include "wal/format.h"

namespace iotwins::dataplane::broker {
namespace {

Error bad(std::string_view key, std::string why) {
  return Error(Errc::invalid_argument, "plugin_opt_" + std::string(key) + ": " + std::move(why));
}

Result<uint64_t> parse_uint(std::string_view key, std::string_view value, uint64_t min,
                            uint64_t max) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
    std::string why = "'";
    why.append(value);
    why += "' is not a whole number";
    return std::unexpected(bad(key, std::move(why)));
  }
  if (v < min || v > max) {
    return std::unexpected(bad(key, std::to_string(v) + " is outside " + std::to_string(min) +
                                        ".." + std::to_string(max)));
  }
  return v;
}

Result<std::vector<std::string>> parse_filters(std::string_view key, std::string_view value) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < value.size()) {
    size_t end = value.find(' ', at);
    if (end == std::string_view::npos) end = value.size();
    if (end > at) {
      std::string_view filter = value.substr(at, end - at);
      if (auto valid = validate_topic_filter(filter); !valid) {
        return std::unexpected(bad(key, valid.error().message()));
      }
      out.emplace_back(filter);
    }
    at = end + 1;
  }
  if (out.empty()) return std::unexpected(bad(key, "no topic filter given"));
  return out;
}

}  // namespace

Status validate_topic_filter(std::string_view filter) {
  if (filter.empty() || filter.size() > kMaxSpoolTopic) {
    return make_error(Errc::invalid_argument, "topic filter must be 1..65535 bytes");
  }
  size_t level_start = 0;
  for (size_t i = 0; i <= filter.size(); ++i) {
    if (i < filter.size() && filter[i] != '/') continue;
    std::string_view level = filter.substr(level_start, i - level_start);
    bool wild = level.find_first_of("+#") != std::string_view::npos;
    if (wild && level.size() != 1) {
      return make_error(Errc::invalid_argument, "topic filter '" + std::string(filter) +
                                                    "': wildcards must be a whole level");
    }
    if (level == "#" && i != filter.size()) {
      return make_error(Errc::invalid_argument,
                        "topic filter '" + std::string(filter) + "': '#' must be the last level");
    }
    level_start = i + 1;
  }
  return ok();
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && !filter.empty() && (filter[0] == '+' || filter[0] == '#')) {
    return false;
  }
  while (true) {
    size_t fs = filter.find('/');
    std::string_view flevel = filter.substr(0, fs);
    if (flevel == "#") return true;
    size_t ts = topic.find('/');
    std::string_view tlevel = topic.substr(0, ts);
    if (flevel != "+" && flevel != tlevel) return false;
    if (fs == std::string_view::npos || ts == std::string_view::npos) {
      // "a/#" also matches "a": the filter's rest is exactly "#".
      if (fs != std::string_view::npos) return filter.substr(fs + 1) == "#";
      return ts == std::string_view::npos;
    }
    filter.remove_prefix(fs + 1);
    topic.remove_prefix(ts + 1);
  }
}

Result<SpoolOptions> parse_spool_options(
    const std::vector<std::pair<std::string, std::string>>& options) {
  SpoolOptions o;
  std::vector<std::string> extra;
  for (const auto& [key, value] : options) {
    if (key == "spool_dir") {
      if (value.empty()) return std::unexpected(bad(key, "must not be empty"));
      o.spool_dir = value;
    } else if (key == "fsync") {
      if (value == "periodic") {
        o.fsync = wal::FsyncPolicy::periodic;
      } else if (value == "always") {
        o.fsync = wal::FsyncPolicy::always;
      } else {
        return std::unexpected(bad(key, "'" + value + "' is not periodic or always"));
      }
    } else if (key == "sync_interval_ms") {
      IOT_ASSIGN(uint64_t ms, parse_uint(key, value, 1, 10000));
      o.sync_interval = std::chrono::milliseconds(ms);
    } else if (key == "max_bytes") {
      IOT_ASSIGN(o.max_bytes, parse_uint(key, value, 4096, 1ull << 50));
    } else if (key == "full_policy") {
      auto policy = parse_full_policy(value);
      if (!policy) return std::unexpected(bad(key, "'" + value + "' is not reject or drop_oldest"));
      o.full_policy = *policy;
    } else if (key == "max_payload") {
      IOT_ASSIGN(uint64_t v, parse_uint(key, value, 1, 64u << 20));
      o.max_payload = static_cast<uint32_t>(v);
    } else if (key == "topics") {
      IOT_ASSIGN(o.topics, parse_filters(key, value));
    } else if (key == "extra_topics") {
      IOT_ASSIGN(auto more, parse_filters(key, value));
      extra.insert(extra.end(), more.begin(), more.end());
    } else {
      return std::unexpected(bad(key, "unknown option; known: spool_dir, fsync, "
                                      "sync_interval_ms, max_bytes, full_policy, max_payload, "
                                      "topics, extra_topics"));
    }
  }
  if (o.spool_dir.empty()) {
    return std::unexpected(bad("spool_dir", "is required (the spool's directory)"));
  }
  o.topics.insert(o.topics.end(), extra.begin(), extra.end());
  return o;
}

wal::WalOptions spool_wal_options(const SpoolOptions& o) {
  wal::WalOptions w;
  w.fsync = o.fsync;
  w.sync_interval = o.sync_interval;
  w.max_total_bytes = o.max_bytes;
  // Several segments fit in the limit, so drop_oldest frees space a segment at a time.
  w.max_segment_bytes = std::clamp<uint64_t>(o.max_bytes / 8, 4096, 64ull << 20);
  w.max_record_bytes = static_cast<uint32_t>(kSpoolRecordHeaderSize + kMaxSpoolClientId +
                                             kMaxSpoolTopic + o.max_payload);
  w.max_batch_bytes = std::max<size_t>(8u << 20, wal::kFrameHeaderSize + w.max_record_bytes);
  return w;
}

}  // namespace iotwins::dataplane::broker
