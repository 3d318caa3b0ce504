// Reading a Wal that another process appends to, and acknowledging from that process.
//
//   auto tail = TailReader::open(fs, spool_dir, from_seq);      // in the consumer process
//   while (auto rec = (*tail)->next(); rec && *rec) handle(**rec);
//   commit_external_offset(fs, spool_dir, "agent", seq);        // persisted, atomically
//   wal->load_external_offsets();                               // in the owning process
//
// A TailReader sees records as soon as the writer has written them to the OS (not only once
// they are fsynced), in sequence order, across segment rotation. It tells apart:
//  - "not written yet": the newest segment ends in an incomplete frame or header (the writer
//    is mid-write, or was killed mid-write and will cut it on recovery) -> next() gives nullopt;
//    it never buffers those bytes, so what is written there later is read afresh;
//  - corruption: a complete frame whose CRC or sequence number is wrong, or a sealed segment
//    that ends early -> an error; the reader stays where it was, so a retry after the writer's
//    recovery (which cuts a torn tail) succeeds if the damage was only a torn tail;
//  - truncation: the record wanted was deleted by the writer -> not_found; seek() past it.
// It keeps the segment it reads open, so the writer deleting that segment does not disturb it.
// Known limit: a write the owning process rolls back (a short write on a full disk) may
// already have been read here; the owner's in-process Readers are told, a TailReader is not.
//
// Not thread-safe: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/fs.h"
#include "core/result.h"
#include "wal/wal.h"

namespace iotwins::wal {

struct TailOptions {
  // Frames claiming more are corruption; must be at least the writer's max_record_bytes.
  uint32_t max_record_bytes = 4u << 20;
};

class TailReader {
 public:
  // `dir` must exist (the writer creates it); nothing needs to be written yet.
  static Result<std::unique_ptr<TailReader>> open(FileSystem& fs, std::string dir,
                                                  uint64_t from_seq, TailOptions options = {});

  // The next record, or nullopt when nothing more is written yet.
  Result<std::optional<WalRecord>> next();

  // Continues at seq.
  void seek(uint64_t seq);
  uint64_t next_seq() const { return next_seq_; }
  // The oldest record on disk now (0 when there is no segment yet).
  Result<uint64_t> first_available_seq();

 private:
  TailReader(FileSystem& fs, std::string dir, uint64_t next_seq, TailOptions options)
      : fs_(fs), dir_(std::move(dir)), next_seq_(next_seq), opts_(options) {}

  enum class Read { record, incomplete, end };
  // Reads the frame at offset_ of the open segment.
  Result<Read> read_frame(WalRecord& out);
  // Opens the segment holding next_seq_ and positions at that record; false if there is none
  // yet.
  Result<bool> open_segment();
  void close_segment();

  FileSystem& fs_;
  const std::string dir_;
  uint64_t next_seq_;
  const TailOptions opts_;
  std::unique_ptr<File> file_;
  std::string path_;
  uint64_t segment_first_ = 0;
  uint64_t offset_ = 0;        // of the next frame in file_
  uint64_t offset_seq_ = 0;    // the sequence number the frame at offset_ must carry
  std::string buf_;            // bytes of file_ from buf_offset_, all of them complete frames'
  uint64_t buf_offset_ = 0;
};

// Persists `consumer`'s offset (everything up to seq is processed) from a process that does
// not own the log: the file "<consumer>.offset" in dir, replaced atomically. The owner picks
// it up with Wal::load_external_offsets().
Status commit_external_offset(FileSystem& fs, const std::string& dir, std::string_view consumer,
                              uint64_t seq);
// The offset last committed that way; nullopt if none.
Result<std::optional<uint64_t>> read_external_offset(FileSystem& fs, const std::string& dir,
                                                     std::string_view consumer);

inline constexpr std::string_view kExternalOffsetSuffix = ".offset";

}  // namespace iotwins::wal
