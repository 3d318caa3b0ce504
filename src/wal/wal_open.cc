// Opening a WAL: validating options and recovering the log's state from its directory.
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

Status validate(const WalOptions& o) {
  auto bad = [](std::string what) { return make_error(Errc::invalid_argument, std::move(what)); };
  if (o.max_record_bytes == 0 || o.max_record_bytes > (1u << 30)) {
    return bad("max_record_bytes must be in 1..1 GiB, got " + std::to_string(o.max_record_bytes));
  }
  if (o.max_segment_bytes < 1024) {
    return bad("max_segment_bytes must be at least 1024, got " +
               std::to_string(o.max_segment_bytes));
  }
  if (o.max_batch_bytes < kFrameHeaderSize + o.max_record_bytes) {
    return bad("max_batch_bytes (" + std::to_string(o.max_batch_bytes) +
               ") must hold one frame of max_record_bytes (" +
               std::to_string(kFrameHeaderSize + o.max_record_bytes) + ")");
  }
  if (o.batch_window.count() < 0) return bad("batch_window must not be negative");
  if (o.sync_interval.count() < 0) return bad("sync_interval must not be negative");
  return ok();
}

}  // namespace

Wal::Wal(FileSystem& fs, std::string dir, WalOptions options)
    : fs_(fs),
      dir_(std::move(dir)),
      opts_(options),
      clock_(options.clock ? *options.clock : SystemClock::instance()) {}

Wal::~Wal() {
  stop_sync_thread();
  age_reader_.reset();
  if (active_) (void)active_->close();
}

Result<std::unique_ptr<Wal>> Wal::open(FileSystem& fs, std::string dir, WalOptions options) {
  IOT_TRY(validate(options));
  std::unique_ptr<Wal> wal(new Wal(fs, std::move(dir), options));
  if (auto st = wal->recover(); !st) {
    return std::unexpected(std::move(st.error()).context("open wal " + wal->dir_));
  }
  if (options.fsync == FsyncPolicy::periodic) {
    // What a killed predecessor left in the page cache becomes durable before anything new.
    if (auto st = wal->active_->sync(); !st) {
      return std::unexpected(std::move(st.error()).context("open wal " + wal->dir_));
    }
    wal->durable_seq_ = wal->committed_seq_;
    wal->start_sync_thread();
  }
  return wal;
}

Result<std::unique_ptr<File>> Wal::create_segment(uint64_t first_seq) {
  std::string path = join_path(dir_, segment_name(first_seq));
  {
    IOT_ASSIGN(auto file, fs_.open(path, OpenMode::truncate_write));
    IOT_TRY(file->append(encode_segment_header(first_seq)));
    // The header and the directory entry are durable before any record goes in, so a
    // segment whose header is incomplete never held an acknowledged record.
    IOT_TRY(file->sync());
    IOT_TRY(file->close());
  }
  IOT_TRY(fs_.sync_dir(dir_));
  // Reopened for append: after rolling back a failed write with truncate, the next write must
  // land at the new end, not at the old file position.
  return fs_.open(path, OpenMode::append);
}

Status Wal::recover() {
  IOT_TRY(fs_.create_dirs(dir_));
  IOT_ASSIGN(auto names, fs_.list(dir_));
  std::string consumers_path = join_path(dir_, kConsumersFile);
  for (const auto& name : names) {
    if (name == std::string(kConsumersFile) + ".tmp") {
      // Left by a crash inside write_file_atomic; the real file is still the old version.
      IOT_TRY(fs_.remove(join_path(dir_, name)));
    } else if (name == kConsumersFile) {
      IOT_ASSIGN(std::string text, fs_.read_file(consumers_path));
      IOT_ASSIGN(consumers_, decode_consumers(text, consumers_path));
    } else if (auto first = parse_segment_name(name)) {
      IOT_ASSIGN(uint64_t bytes, fs_.file_size(join_path(dir_, name)));
      segments_.push_back(Segment{*first, join_path(dir_, name), bytes});
    }
  }
  // Every segment but the last was fsynced before its successor was created.
  for (size_t i = 0; i + 1 < segments_.size(); ++i) {
    IOT_ASSIGN(auto file, fs_.open(segments_[i].path, OpenMode::read));
    IOT_ASSIGN(std::string header, file->read_at(0, kSegmentHeaderSize));
    auto first = decode_segment_header(header);
    if (!first) return std::unexpected(std::move(first.error()).context(segments_[i].path));
    if (*first != segments_[i].first_seq) {
      return make_error(Errc::corruption, segments_[i].path + ": header says first record " +
                                              std::to_string(*first));
    }
  }
  if (segments_.empty()) {
    uint64_t first = 1;
    for (const auto& [name, seq] : consumers_) first = std::max(first, seq + 1);
    IOT_ASSIGN(active_, create_segment(first));
    segments_.push_back(Segment{first, join_path(dir_, segment_name(first)), kSegmentHeaderSize});
    next_seq_ = first;
  } else {
    IOT_TRY(recover_last_segment());
    IOT_ASSIGN(active_, fs_.open(segments_.back().path, OpenMode::append));
  }
  active_bytes_ = segments_.back().bytes;
  committed_seq_ = next_seq_ - 1;
  // Sealed segments were fsynced; the active one is, under always and batch.
  durable_seq_ = (opts_.fsync == FsyncPolicy::always || opts_.fsync == FsyncPolicy::batch)
                     ? committed_seq_
                     : segments_.back().first_seq - 1;
  total_bytes_ = 0;
  for (const auto& s : segments_) total_bytes_ += s.bytes;
  for (auto& [name, seq] : consumers_) {
    if (seq > committed_seq_) {
      // Only possible after running with fsync never and losing the tail in a crash.
      logger().warn("wal {}: consumer {} acknowledged {} but the log ends at {}", dir_, name,
                    seq, committed_seq_);
      seq = committed_seq_;
    }
  }
  logger().info("wal {}: opened, {} segments, records {}..{}", dir_, segments_.size(),
                segments_.front().first_seq, committed_seq_);
  std::lock_guard retention(retention_mu_);
  return delete_acknowledged();
}

Status Wal::recover_last_segment() {
  while (true) {
    Segment& last = segments_.back();
    IOT_ASSIGN(auto file, fs_.open(last.path, OpenMode::read));
    IOT_ASSIGN(uint64_t size, file->size());
    IOT_ASSIGN(std::string header, file->read_at(0, kSegmentHeaderSize));
    auto first = decode_segment_header(header);
    if (!first && size <= kSegmentHeaderSize) {
      // A crash while the segment was being created: it never held a record.
      logger().warn("wal {}: removing {} left incomplete by a crash ({})", dir_, last.path,
                    first.error().message());
      uint64_t first_seq = last.first_seq;
      std::string path = last.path;
      IOT_TRY(file->close());
      IOT_TRY(fs_.remove(path));
      segments_.pop_back();
      if (segments_.empty()) {
        IOT_ASSIGN(active_, create_segment(first_seq));
        segments_.push_back(Segment{first_seq, path, kSegmentHeaderSize});
        next_seq_ = first_seq;
        return ok();
      }
      IOT_TRY(fs_.sync_dir(dir_));
      continue;
    }
    if (!first) return std::unexpected(std::move(first.error()).context(last.path));
    if (*first != last.first_seq) {
      return make_error(Errc::corruption,
                        last.path + ": header says first record " + std::to_string(*first));
    }
    FrameScanner scanner(*file, last.path, kSegmentHeaderSize, last.first_seq,
                         opts_.max_record_bytes);
    while (true) {
      auto frame = scanner.next();
      if (!frame) {
        if (frame.error().code() != Errc::corruption) return std::unexpected(frame.error());
        logger().warn("wal {}: cutting {} bytes of torn or corrupt tail: {}", dir_,
                      size - scanner.offset(), frame.error().message());
        break;
      }
      if (!*frame) break;
    }
    uint64_t valid_end = scanner.offset();
    IOT_TRY(file->close());
    if (size > valid_end) {
      IOT_ASSIGN(auto writable, fs_.open(last.path, OpenMode::append));
      IOT_TRY(writable->truncate(valid_end));
      IOT_TRY(writable->sync());
      IOT_TRY(writable->close());
    }
    last.bytes = valid_end;
    next_seq_ = scanner.next_seq();
    return ok();
  }
}

}  // namespace iotwins::wal
