#include "wal/reader.h"

namespace iotwins::wal {

void Reader::seek(uint64_t seq) {
  // Moving forward keeps the open segment; next() skips ahead inside it when it can.
  if (scanner_ && seq < scanner_->next_seq()) reset();
  next_seq_ = seq;
}

void Reader::reset() {
  scanner_.reset();
  file_.reset();
}

Status Reader::open_segment_for(uint64_t seq) {
  auto segments = wal_.segments_snapshot();
  if (segments.empty() || seq < segments.front().first_seq) {
    return make_error(Errc::not_found,
                      "wal " + wal_.dir() + ": record " + std::to_string(seq) +
                          " was deleted; the oldest record is " +
                          std::to_string(segments.empty() ? 0 : segments.front().first_seq));
  }
  const Wal::Segment* found = nullptr;
  for (const auto& s : segments) {
    if (s.first_seq <= seq) found = &s;
  }
  scanner_.reset();
  IOT_ASSIGN(file_, wal_.fs_.open(found->path, OpenMode::read));
  segment_first_ = found->first_seq;
  scanner_ = std::make_unique<FrameScanner>(*file_, found->path, kSegmentHeaderSize,
                                            found->first_seq, wal_.opts_.max_record_bytes);
  return scanner_->skip_to(seq);
}

Result<std::optional<WalRecord>> Reader::next() {
  if (uint64_t r = wal_.rollbacks_.load(); r != rollbacks_seen_) {
    rollbacks_seen_ = r;
    reset();
  }
  if (next_seq_ > wal_.committed_seq()) return std::optional<WalRecord>();
  if (scanner_ && scanner_->next_seq() < next_seq_ && !scanner_->skip_to(next_seq_)) reset();
  if (!scanner_ || scanner_->next_seq() != next_seq_) IOT_TRY(open_segment_for(next_seq_));
  IOT_ASSIGN(auto frame, scanner_->next());
  if (!frame) {
    // End of this segment: the record must open a later one.
    uint64_t here = segment_first_;
    IOT_TRY(open_segment_for(next_seq_));
    if (segment_first_ == here) {
      return make_error(Errc::corruption, "wal " + wal_.dir() + ": acknowledged record " +
                                              std::to_string(next_seq_) + " is missing");
    }
    IOT_ASSIGN(frame, scanner_->next());
    if (!frame) {
      return make_error(Errc::corruption, "wal " + wal_.dir() + ": acknowledged record " +
                                              std::to_string(next_seq_) + " is missing");
    }
  }
  ++next_seq_;
  return std::optional<WalRecord>(
      WalRecord{.seq = frame->seq, .ts_ns = frame->ts_ns, .payload = std::move(frame->payload)});
}

}  // namespace iotwins::wal
