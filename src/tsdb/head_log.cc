#include "tsdb/head_log.h"

#include <cstdio>

#include "core/log.h"
#include "tsdb/crc32c.h"
#include "tsdb/encoding.h"

namespace iotwins::tsdb {
namespace {

constexpr uint32_t kMaxRecordBytes = 256u << 20;

bool parse_segment_name(const std::string& name, uint64_t& first) {
  if (name.size() != 24 || name.substr(20) != ".log") return false;
  first = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    first = first * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return true;
}

}  // namespace

std::string HeadLog::segment_path(uint64_t first_lsn) const {
  char name[32];
  std::snprintf(name, sizeof(name), "%020llu.log", static_cast<unsigned long long>(first_lsn));
  return join_path(dir_, name);
}

Result<std::unique_ptr<HeadLog>> HeadLog::open(
    FileSystem& fs, std::string dir,
    const std::function<Status(uint64_t, std::string_view)>& replay) {
  static auto& log = iotwins::log::get("tsdb");
  std::unique_ptr<HeadLog> hl(new HeadLog(fs, std::move(dir)));
  IOT_TRY(fs.create_dirs(hl->dir_));
  IOT_ASSIGN(auto names, fs.list(hl->dir_));
  for (const auto& name : names) {
    uint64_t first = 0;
    if (parse_segment_name(name, first)) hl->segments_.push_back({first, join_path(hl->dir_, name)});
  }
  for (size_t i = 0; i < hl->segments_.size(); ++i) {
    const auto& seg = hl->segments_[i];
    bool last = i + 1 == hl->segments_.size();
    if (i > 0 && seg.first_lsn != hl->next_lsn_) {
      return make_error(Errc::corruption, "log segment " + seg.path + " starts at lsn " +
                                              std::to_string(seg.first_lsn) + ", expected " +
                                              std::to_string(hl->next_lsn_));
    }
    hl->next_lsn_ = seg.first_lsn;
    IOT_ASSIGN(std::string data, fs.read_file(seg.path));
    size_t pos = 0;
    while (pos < data.size()) {
      bool intact = data.size() - pos >= 8;
      uint32_t len = intact ? get_u32(data.data() + pos) : 0;
      intact = intact && len <= kMaxRecordBytes && data.size() - pos - 8 >= len &&
               get_u32(data.data() + pos + 4) == crc32c(std::string_view(data).substr(pos + 8, len));
      if (!intact) {
        if (!last) {
          return make_error(Errc::corruption, "log segment " + seg.path + " is damaged at byte " +
                                                  std::to_string(pos));
        }
        log.warn("tsdb log {}: cutting a torn tail of {} bytes at byte {}", seg.path,
                 data.size() - pos, pos);
        IOT_ASSIGN(auto f, fs.open(seg.path, OpenMode::append));
        IOT_TRY(f->truncate(pos));
        IOT_TRY(f->sync());
        break;
      }
      IOT_TRY(replay(hl->next_lsn_, std::string_view(data).substr(pos + 8, len)));
      ++hl->next_lsn_;
      pos += 8 + len;
    }
  }
  IOT_TRY(hl->open_active());
  return hl;
}

Status HeadLog::open_active() {
  if (segments_.empty()) segments_.push_back({next_lsn_, segment_path(next_lsn_)});
  IOT_ASSIGN(active_, fs_.open(segments_.back().path, OpenMode::append));
  return fs_.sync_dir(dir_);
}

Result<uint64_t> HeadLog::append(std::string_view payload, bool sync) {
  // Header and payload go out as two appends rather than one copied frame: records of large
  // batches are megabytes. A crash between them leaves a torn tail, which open() cuts.
  std::string header;
  put_u32(header, static_cast<uint32_t>(payload.size()));
  put_u32(header, crc32c(payload));
  IOT_TRY(active_->append(header));
  IOT_TRY(active_->append(payload));
  if (sync) IOT_TRY(active_->sync());
  return next_lsn_++;
}

Status HeadLog::roll() {
  if (segments_.back().first_lsn == next_lsn_) return ok();  // active segment is empty
  IOT_TRY(active_->sync());
  IOT_TRY(active_->close());
  segments_.push_back({next_lsn_, segment_path(next_lsn_)});
  return open_active();
}

Status HeadLog::truncate_before(uint64_t keep_from) {
  bool removed = false;
  // Segment i holds lsns [first_i, first_{i+1}); keep the active (last) one always.
  while (segments_.size() > 1 && segments_[1].first_lsn <= keep_from) {
    IOT_TRY(fs_.remove(segments_.front().path));
    segments_.erase(segments_.begin());
    removed = true;
  }
  if (removed) IOT_TRY(fs_.sync_dir(dir_));
  return ok();
}

}  // namespace iotwins::tsdb
