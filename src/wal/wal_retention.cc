// Retention: consumer offsets, deleting acknowledged segments, dropping the oldest data on
// demand, readers and stats.
//
// Crash safety: offsets are made durable (write_file_atomic) before any segment they release
// is deleted, and segments are deleted oldest first, so a crash at any point leaves a
// contiguous suffix of the log and offsets that never point past what is on disk.
#include <algorithm>
#include <limits>

#include "core/log.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/wal.h"

namespace iotwins::wal {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("wal");
  return log;
}

uint64_t min_offset(const ConsumerOffsets& consumers) {
  uint64_t min = std::numeric_limits<uint64_t>::max();
  for (const auto& [name, seq] : consumers) min = std::min(min, seq);
  return min;
}

}  // namespace

std::vector<Wal::Segment> Wal::segments_snapshot() const {
  std::lock_guard lock(mu_);
  return {segments_.begin(), segments_.end()};
}

Result<std::unique_ptr<Reader>> Wal::reader(uint64_t from_seq) {
  std::lock_guard lock(mu_);
  return std::make_unique<Reader>(*this, std::max(from_seq, segments_.front().first_seq));
}

Status Wal::persist_consumers(const ConsumerOffsets& offsets) {
  return fs_.write_file_atomic(join_path(dir_, kConsumersFile), encode_consumers(offsets));
}

Status Wal::commit_offset(std::string_view consumer, uint64_t seq) {
  IOT_TRY(validate_consumer_name(consumer));
  std::lock_guard retention(retention_mu_);
  ConsumerOffsets next;
  {
    std::lock_guard lock(mu_);
    if (seq > committed_seq_) {
      return make_error(Errc::invalid_argument,
                        "wal " + dir_ + ": consumer " + std::string(consumer) + " cannot commit " +
                            std::to_string(seq) + ", the newest acknowledged record is " +
                            std::to_string(committed_seq_));
    }
    auto it = consumers_.find(consumer);
    if (it != consumers_.end() && seq < it->second) {
      return make_error(Errc::invalid_argument,
                        "wal " + dir_ + ": consumer " + std::string(consumer) +
                            " offset would move backwards from " + std::to_string(it->second) +
                            " to " + std::to_string(seq));
    }
    if (it != consumers_.end() && seq == it->second) return ok();
    next = consumers_;
  }
  next[std::string(consumer)] = seq;
  IOT_TRY(persist_consumers(next));
  {
    std::lock_guard lock(mu_);
    consumers_ = std::move(next);
  }
  return delete_acknowledged();
}

Result<uint64_t> Wal::consumer_offset(std::string_view consumer) const {
  std::lock_guard lock(mu_);
  auto it = consumers_.find(consumer);
  if (it == consumers_.end()) {
    return make_error(Errc::not_found,
                      "wal " + dir_ + " has no consumer named " + std::string(consumer));
  }
  return it->second;
}

Status Wal::remove_consumer(std::string_view consumer) {
  std::lock_guard retention(retention_mu_);
  ConsumerOffsets next;
  {
    std::lock_guard lock(mu_);
    if (!consumers_.contains(consumer)) {
      return make_error(Errc::not_found,
                        "wal " + dir_ + " has no consumer named " + std::string(consumer));
    }
    next = consumers_;
  }
  next.erase(next.find(consumer));
  IOT_TRY(persist_consumers(next));
  {
    std::lock_guard lock(mu_);
    consumers_ = std::move(next);
  }
  return delete_acknowledged();
}

Status Wal::delete_acknowledged() {
  size_t count = 0;
  {
    std::lock_guard lock(mu_);
    if (consumers_.empty()) return ok();  // nobody has said what may go
    uint64_t acked = min_offset(consumers_);
    while (count + 1 < segments_.size() && segments_[count + 1].first_seq - 1 <= acked) ++count;
  }
  return delete_front_segments(count);
}

Status Wal::delete_front_segments(size_t count) {
  if (count == 0) return ok();
  for (size_t i = 0; i < count; ++i) {
    Segment gone;
    {
      // Unlisted first, so no new reader goes looking for it.
      std::lock_guard lock(mu_);
      gone = segments_.front();
      segments_.pop_front();
      total_bytes_ -= gone.bytes;
    }
    IOT_TRY(fs_.remove(gone.path));
  }
  return fs_.sync_dir(dir_);
}

Result<DropReport> Wal::drop_oldest_until(uint64_t max_bytes) {
  std::lock_guard retention(retention_mu_);
  DropReport report;
  std::unique_lock lock(mu_);
  uint64_t active_bytes = segments_.back().bytes;
  if (total_bytes_ > max_bytes && total_bytes_ - active_bytes < total_bytes_ - max_bytes &&
      active_bytes > kSegmentHeaderSize) {
    // Sealed segments alone cannot free enough: seal the active one so it can go too.
    acquire_leadership(lock);
    uint64_t first = next_seq_;
    lock.unlock();
    bool fatal = false;
    Status rotated = rotate(first, fatal);
    lock.lock();
    if (!rotated && fatal && !failed_) failed_ = rotated.error();
    release_leadership();
    IOT_TRY(rotated);
  }
  size_t count = 0;
  uint64_t remaining = total_bytes_;
  while (remaining > max_bytes && count + 1 < segments_.size()) {
    const Segment& s = segments_[count];
    uint64_t last = segments_[count + 1].first_seq - 1;
    uint64_t records = last + 1 - s.first_seq;
    report.records_deleted += records;
    report.bytes_freed += s.bytes;
    remaining -= s.bytes;
    ++count;
  }
  if (count == 0) {
    report.first_seq = segments_.front().first_seq;
    return report;
  }
  uint64_t cut = segments_[count].first_seq - 1;  // last record deleted
  uint64_t first_deleted = segments_.front().first_seq;
  ConsumerOffsets next = consumers_;
  uint64_t acked = next.empty() ? first_deleted - 1 : min_offset(next);
  if (acked < cut) report.records_dropped = cut - std::max(acked, first_deleted - 1);
  bool moved = false;
  for (auto& [name, seq] : next) {
    if (seq < cut) {
      logger().warn("wal {}: dropping records {}..{} unread by consumer {}", dir_,
                    std::max(seq + 1, first_deleted), cut, name);
      seq = cut;
      moved = true;
    }
  }
  lock.unlock();
  if (moved) {
    IOT_TRY(persist_consumers(next));
    std::lock_guard relock(mu_);
    consumers_ = std::move(next);
  }
  IOT_TRY(delete_front_segments(count));
  report.segments_deleted = count;
  report.first_seq = cut + 1;
  return report;
}

WalStats Wal::stats() {
  WalStats s;
  uint64_t oldest_unacked = 0;
  {
    std::lock_guard lock(mu_);
    s.first_seq = segments_.front().first_seq;
    s.committed_seq = committed_seq_;
    s.durable_seq = durable_seq_;
    s.records = committed_seq_ + 1 - s.first_seq;
    s.bytes = total_bytes_;
    s.segments = segments_.size();
    s.min_consumer_offset = consumers_.empty() ? s.first_seq - 1 : min_offset(consumers_);
    s.failed = failed_.has_value();
    oldest_unacked = std::max(s.min_consumer_offset + 1, s.first_seq);
    if (oldest_unacked > committed_seq_) return s;
  }
  std::lock_guard retention(retention_mu_);
  if (age_cache_seq_ != oldest_unacked) {
    if (!age_reader_) age_reader_ = std::make_unique<Reader>(*this, oldest_unacked);
    age_reader_->seek(oldest_unacked);
    auto record = age_reader_->next();
    if (!record || !*record) {
      logger().warn("wal {}: cannot read record {} for stats: {}", dir_, oldest_unacked,
                    record ? "not found" : record.error().message());
      return s;
    }
    age_cache_seq_ = oldest_unacked;
    age_cache_ts_ = (*record)->ts_ns;
  }
  s.oldest_unacked_age_ns = std::max<int64_t>(0, clock_.now_ns() - age_cache_ts_);
  return s;
}

}  // namespace iotwins::wal
