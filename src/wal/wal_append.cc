// Appending: group commit with one leader at a time, and segment rotation.
//
// A thread that appends queues a Writer. If no batch is being written it becomes the leader:
// it takes the queued writers (up to max_batch_bytes), assigns their sequence numbers, writes
// all frames with one append and one fsync without holding mu_, then acknowledges them and
// hands leadership to whoever queued meanwhile. Sequence numbers are assigned by the leader,
// so a failed batch leaves no gap.
#include <chrono>

#include "core/log.h"
#include "wal/format.h"
#include "wal/wal.h"

namespace iotwins::wal {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("wal");
  return log;
}

}  // namespace

struct Wal::Writer {
  std::span<const std::string_view> records;
  size_t bytes = 0;  // framed
  uint64_t first_seq = 0;
  bool done = false;
  std::optional<Error> error;
};

Error Wal::failed_error() const {
  return Error(Errc::io_error, "wal " + dir_ + " refuses appends after an earlier failure (" +
                                   failed_->message() + "); reopen it to recover");
}

Result<uint64_t> Wal::append(std::string_view record) {
  return append_many(std::span<const std::string_view>(&record, 1));
}

Result<uint64_t> Wal::append_many(std::span<const std::string_view> records) {
  if (records.empty()) return make_error(Errc::invalid_argument, "append of no records");
  Writer w{.records = records};
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].size() > opts_.max_record_bytes) {
      return make_error(Errc::too_large,
                        "wal " + dir_ + ": record " + std::to_string(i) + " has " +
                            std::to_string(records[i].size()) + " bytes, the limit is " +
                            std::to_string(opts_.max_record_bytes));
    }
    w.bytes += kFrameHeaderSize + records[i].size();
  }
  if (w.bytes > opts_.max_batch_bytes) {
    return make_error(Errc::too_large, "wal " + dir_ + ": " + std::to_string(records.size()) +
                                           " records take " + std::to_string(w.bytes) +
                                           " bytes, more than max_batch_bytes " +
                                           std::to_string(opts_.max_batch_bytes));
  }
  std::unique_lock lock(mu_);
  if (failed_) return std::unexpected(failed_error());
  ++appenders_;
  queue_.push_back(&w);
  batch_cv_.notify_one();
  while (!w.done) {
    if (!leader_active_) {
      lead_batch(lock);
    } else {
      cv_.wait(lock);
    }
  }
  --appenders_;
  if (w.error) return std::unexpected(std::move(*w.error));
  return w.first_seq;
}

void Wal::lead_batch(std::unique_lock<std::mutex>& lock) {
  leader_active_ = true;
  if (opts_.fsync == FsyncPolicy::batch && opts_.batch_window.count() > 0 &&
      last_batch_writers_ > 1) {
    // Appenders that were part of the previous batch are likely on their way back: give them
    // up to one window to join, so they share this fsync.
    auto deadline = std::chrono::steady_clock::now() + opts_.batch_window;
    batch_cv_.wait_until(lock, deadline, [&] {
      size_t bytes = 0;
      for (const Writer* q : queue_) bytes += q->bytes;
      return queue_.size() >= last_batch_writers_ || bytes >= opts_.max_batch_bytes;
    });
  }
  std::vector<Writer*> batch;
  size_t bytes = 0;
  while (!queue_.empty() &&
         (batch.empty() || bytes + queue_.front()->bytes <= opts_.max_batch_bytes)) {
    Writer* w = queue_.front();
    queue_.pop_front();
    if (failed_) {
      w->error = failed_error();
    } else if (total_bytes_ + bytes + w->bytes > opts_.max_total_bytes) {
      w->error = Error(Errc::resource_exhausted,
                       "wal " + dir_ + " is full: " + std::to_string(total_bytes_) +
                           " bytes retained, max_total_bytes is " +
                           std::to_string(opts_.max_total_bytes));
    } else {
      batch.push_back(w);
      bytes += w->bytes;
    }
    if (w->error) w->done = true;
  }
  last_batch_writers_ = std::max<size_t>(1, batch.size() + queue_.size());
  uint64_t first_seq = next_seq_;
  lock.unlock();

  // The leader's buffer is kept between batches (only one leader runs at a time): a fresh
  // multi-megabyte buffer per batch costs its page faults again every time.
  std::string& frames = leader_frames_;
  frames.clear();
  if (frames.capacity() > kKeepLeaderBuffer && bytes <= kKeepLeaderBuffer) frames.shrink_to_fit();
  frames.reserve(bytes);
  int64_t ts = clock_.now_ns();
  uint64_t seq = first_seq;
  for (Writer* w : batch) {
    w->first_seq = seq;
    for (std::string_view r : w->records) encode_frame(frames, seq++, ts, r);
  }
  bool fatal = false;
  Status status = batch.empty() ? ok() : write_batch(frames, first_seq, fatal);

  lock.lock();
  if (status) {
    next_seq_ = seq;
    committed_seq_ = seq - 1;
    if (opts_.fsync == FsyncPolicy::always || opts_.fsync == FsyncPolicy::batch) {
      durable_seq_ = committed_seq_;
    } else if (sync_waiting_) {
      sync_cv_.notify_one();
    }
    total_bytes_ += frames.size();
    segments_.back().bytes = active_bytes_;
  } else if (fatal && !failed_) {
    logger().error("wal {}: {}; refusing further appends", dir_, status.error().message());
    failed_ = status.error();
  }
  for (Writer* w : batch) {
    if (!status) w->error = status.error();
    w->done = true;
  }
  leader_active_ = false;
  cv_.notify_all();
}

Status Wal::write_batch(const std::string& frames, uint64_t first_seq, bool& fatal) {
  if (active_bytes_ >= opts_.max_segment_bytes && active_bytes_ > kSegmentHeaderSize) {
    IOT_TRY(rotate(first_seq, fatal));
  }
  if (auto written = active_->append(frames); !written) {
    // Cut what landed so the next batch does not follow garbage; readers may have buffered
    // it, so tell them before these sequence numbers are handed out again.
    rollbacks_.fetch_add(1);
    if (auto cut = active_->truncate(active_bytes_); !cut) {
      fatal = true;
      return std::unexpected(std::move(cut.error()).context("roll back failed write"));
    }
    return written;
  }
  if (opts_.fsync == FsyncPolicy::always || opts_.fsync == FsyncPolicy::batch) {
    if (auto synced = active_->sync(); !synced) {
      // After a failed fsync the kernel may have dropped the dirty pages; a retry could
      // report success for data that is gone.
      fatal = true;
      return synced;
    }
  }
  active_bytes_ += frames.size();
  return ok();
}

Status Wal::rotate(uint64_t first_seq, bool& fatal) {
  bool synced_here = opts_.fsync == FsyncPolicy::never || opts_.fsync == FsyncPolicy::periodic;
  if (synced_here) {
    // Sealed segments are always whole, whatever the policy: recovery checks only the last.
    if (auto synced = active_->sync(); !synced) {
      fatal = true;
      return synced;
    }
  }
  // A failure here leaves the active segment as it was; a half-made new segment is replaced
  // by the next attempt or removed by recovery.
  IOT_ASSIGN(auto next, create_segment(first_seq));
  (void)active_->close();
  active_ = std::move(next);
  active_bytes_ = kSegmentHeaderSize;
  std::lock_guard lock(mu_);
  if (synced_here) durable_seq_ = std::max(durable_seq_, first_seq - 1);
  segments_.push_back(Segment{first_seq, join_path(dir_, segment_name(first_seq)),
                              kSegmentHeaderSize});
  total_bytes_ += kSegmentHeaderSize;
  return ok();
}

void Wal::acquire_leadership(std::unique_lock<std::mutex>& lock) {
  cv_.wait(lock, [&] { return !leader_active_; });
  leader_active_ = true;
}

void Wal::release_leadership() {
  leader_active_ = false;
  cv_.notify_all();
}

uint64_t Wal::committed_seq() const {
  std::lock_guard lock(mu_);
  return committed_seq_;
}

uint64_t Wal::wait_for(uint64_t seq, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return committed_seq_ >= seq || failed_.has_value(); });
  return committed_seq_;
}

}  // namespace iotwins::wal
