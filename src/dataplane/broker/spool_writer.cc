#include "dataplane/broker/spool_writer.h"

#include <cstdio>
#include <fstream>

#include "dataplane/spool_record.h"

namespace iotwins::dataplane::broker {
namespace {

using namespace std::chrono_literals;

enum LogKind { kFull, kError, kTooLarge, kTick };

}  // namespace

Result<std::unique_ptr<SpoolWriter>> SpoolWriter::open(FileSystem& fs, SpoolOptions options,
                                                       LogSink log, const Clock* clock) {
  std::unique_ptr<SpoolWriter> w(new SpoolWriter(
      fs, std::move(options), std::move(log), clock ? *clock : SystemClock::instance()));
  auto wal_options = spool_wal_options(w->opts_);
  wal_options.clock = &w->clock_;
  IOT_ASSIGN(w->wal_, wal::Wal::open(fs, w->opts_.spool_dir, wal_options));
  return w;
}

void SpoolWriter::log_limited(int kind, int level, const std::string& message) {
  auto now = std::chrono::steady_clock::now();
  Limit& limit = limits_[kind];
  if (now < limit.next) {
    ++limit.suppressed;
    return;
  }
  std::string text = "iotwins spool: " + message;
  if (limit.suppressed > 0) {
    text += " (" + std::to_string(limit.suppressed) + " similar messages suppressed)";
  }
  limit.suppressed = 0;
  limit.next = now + 1s;
  if (log_) log_(level, text);
}

Result<uint64_t> SpoolWriter::append_with_policy(std::string_view record) {
  if (!wal_) return make_error(Errc::unavailable, "spool " + opts_.spool_dir + " is not open");
  auto seq = wal_->append(record);
  if (seq || seq.error().code() != Errc::resource_exhausted ||
      opts_.full_policy != FullPolicy::drop_oldest) {
    return seq;
  }
  // Make room for a quarter of the limit at once, so the next appends do not drop again.
  IOT_ASSIGN(auto report, wal_->drop_oldest_until(opts_.max_bytes - opts_.max_bytes / 4));
  counters_.dropped += report.records_dropped;
  log_limited(kFull, 1,
              "spool " + opts_.spool_dir + " full: dropped the " +
                  std::to_string(report.records_dropped) + " oldest unread records (" +
                  std::to_string(counters_.dropped) + " so far)");
  return wal_->append(record);
}

Verdict SpoolWriter::on_message(std::string_view client_id, std::string_view topic,
                                std::string_view payload, uint8_t qos, bool retain) {
  bool wanted = false;
  for (const auto& filter : opts_.topics) {
    if (topic_matches(filter, topic)) {
      wanted = true;
      break;
    }
  }
  if (!wanted) {
    ++counters_.ignored;
    return Verdict::ignored;
  }
  if (payload.size() > opts_.max_payload) {
    ++counters_.too_large;
    log_limited(kTooLarge, 1,
                "discarding a " + std::to_string(payload.size()) + "-byte payload on " +
                    std::string(topic) + " from " + std::string(client_id) +
                    ": max_payload is " + std::to_string(opts_.max_payload));
    return Verdict::too_large;
  }
  record_.clear();
  auto encoded = encode_spool_record(SpoolRecord{.received_ns = clock_.now_ns(),
                                                 .qos = qos,
                                                 .retain = retain,
                                                 .client_id = client_id,
                                                 .topic = topic,
                                                 .payload = payload},
                                     record_);
  if (!encoded) {
    ++counters_.too_large;
    log_limited(kTooLarge, 1, "discarding a message on " + std::string(topic) + ": " +
                                  encoded.error().message());
    return Verdict::too_large;
  }
  auto seq = append_with_policy(record_);
  if (seq) {
    ++counters_.spooled;
    return Verdict::spooled;
  }
  if (seq.error().code() == Errc::resource_exhausted) {
    ++counters_.refused_full;
    log_limited(kFull, 1, "refusing a message from " + std::string(client_id) +
                              " unacknowledged: " + seq.error().message());
  } else {
    ++counters_.refused_error;
    log_limited(kError, 2, "refusing a message from " + std::string(client_id) +
                               " unacknowledged: " + seq.error().message());
  }
  return Verdict::refuse;
}

void SpoolWriter::tick() {
  auto now = std::chrono::steady_clock::now();
  if (now >= next_offsets_) {
    next_offsets_ = now + 200ms;
    if (wal_ && wal_->stats().failed) {
      // A failed fsync poisons the open log; reopening re-reads what is really on disk.
      wal_.reset();
      ++counters_.reopened;
    }
    if (!wal_) {
      auto wal_options = spool_wal_options(opts_);
      wal_options.clock = &clock_;
      if (auto reopened = wal::Wal::open(fs_, opts_.spool_dir, wal_options); reopened) {
        wal_ = std::move(*reopened);
        log_limited(kTick, 1, "reopened spool " + opts_.spool_dir + " after a failure");
      } else {
        log_limited(kTick, 2, "cannot reopen spool: " + reopened.error().message());
      }
    }
    if (wal_) {
      if (auto loaded = wal_->load_external_offsets(); !loaded) {
        log_limited(kTick, 1, "consumer offsets: " + loaded.error().message());
      }
    }
  }
  if (now >= next_stats_) {
    next_stats_ = now + 1s;
    if (auto written = write_stats(); !written) {
      log_limited(kTick, 1, "stats: " + written.error().message());
    }
  }
}

Status SpoolWriter::write_stats() {
  wal::WalStats s = wal_ ? wal_->stats() : wal::WalStats{};
  const auto& c = counters_;
  char text[768];
  std::snprintf(text, sizeof text,
                "{\"spooled\":%llu,\"ignored\":%llu,\"refused_full\":%llu,\"refused_error\":%llu,"
                "\"too_large\":%llu,\"dropped\":%llu,\"reopened\":%llu,\"committed_seq\":%llu,"
                "\"durable_seq\":%llu,\"bytes\":%llu,\"max_bytes\":%llu,\"failed\":%s}\n",
                (unsigned long long)c.spooled, (unsigned long long)c.ignored,
                (unsigned long long)c.refused_full, (unsigned long long)c.refused_error,
                (unsigned long long)c.too_large, (unsigned long long)c.dropped,
                (unsigned long long)c.reopened, (unsigned long long)s.committed_seq,
                (unsigned long long)s.durable_seq, (unsigned long long)s.bytes,
                (unsigned long long)opts_.max_bytes, (wal_ && !s.failed) ? "false" : "true");
  // Monitoring only: replaced atomically but not fsynced (not worth a sync on the broker thread).
  std::string path = join_path(opts_.spool_dir, kBrokerStatsFile);
  {
    std::ofstream out(path + ".tmp", std::ios::trunc);
    out << text;
    if (!out.flush()) return make_error(Errc::io_error, "write " + path + ".tmp");
  }
  if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0) {
    return make_error(Errc::io_error, "rename " + path + ".tmp");
  }
  return ok();
}

}  // namespace iotwins::dataplane::broker
