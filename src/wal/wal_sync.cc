// Policy periodic: a background thread makes appended records durable at most every
// sync_interval, so appenders (a single-threaded MQTT broker) never wait for fdatasync.
//
// The syncer fdatasyncs its own handle of the active segment, never active_ (which belongs to
// the leader): fdatasync through any descriptor covers the file's written data. It syncs the
// segment that is active when it samples committed_seq_; records of earlier segments were
// synced when their segment was sealed (rotate), so the sample is durable once the sync
// returns. A failed sync fails the log, as under the other policies.
#include <chrono>

#include "core/log.h"
#include "wal/wal.h"

namespace iotwins::wal {
void Wal::start_sync_thread() {
  sync_thread_ = std::thread([this] { sync_loop(); });
}

void Wal::stop_sync_thread() {
  if (!sync_thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    sync_stop_ = true;
  }
  sync_cv_.notify_all();
  sync_thread_.join();
}

void Wal::sync_loop() {
  static auto& log = iotwins::log::get("wal");
  std::unique_ptr<File> file;
  std::string file_path;
  auto last_sync = std::chrono::steady_clock::now() - opts_.sync_interval;
  std::unique_lock lock(mu_);
  while (true) {
    auto unsynced = [&] { return !failed_ && committed_seq_ > durable_seq_; };
    sync_waiting_ = true;
    sync_cv_.wait(lock, [&] { return sync_stop_ || unsynced(); });
    sync_waiting_ = false;
    if (!unsynced()) break;  // stopping, nothing left to sync (or the log failed)
    if (!sync_stop_) {
      // At most one fdatasync per interval; appends meanwhile share it.
      sync_cv_.wait_until(lock, last_sync + opts_.sync_interval, [&] { return sync_stop_; });
    }
    uint64_t target = committed_seq_;
    std::string path = segments_.back().path;
    lock.unlock();
    Status status = ok();
    bool gone = false;
    if (path != file_path) {
      file.reset();
      file_path.clear();
      // Opened for reading (fdatasync works on any descriptor): opening for writing would
      // recreate, empty, a segment that drop_oldest_until sealed and deleted meanwhile.
      if (auto opened = fs_.open(path, OpenMode::read); opened) {
        file = std::move(*opened);
        file_path = path;
      } else if (opened.error().code() == Errc::not_found) {
        gone = true;  // sealed (so synced) and deleted since the sample
      } else {
        status = std::unexpected(std::move(opened.error()));
      }
    }
    if (status && !gone) status = file->sync();
    last_sync = std::chrono::steady_clock::now();
    lock.lock();
    if (status) {
      durable_seq_ = std::max(durable_seq_, target);
    } else if (!failed_) {
      log.error("wal {}: background fdatasync failed: {}; refusing further appends", dir_,
                     status.error().message());
      failed_ = status.error();
    }
    cv_.notify_all();
  }
  lock.unlock();
  if (file) (void)file->close();
}

}  // namespace iotwins::wal
