// FaultInjectingFileSystem: wraps a real FileSystem and models what a power cut would leave on
// disk, so tests can prove "nothing acknowledged is lost" under crashes, torn writes, failing
// fsync and full disks (the RocksDB FaultInjectionTestFS idea, reduced to what we need).
//
// Model:
//  - a file's bytes are durable up to the size it had at its last successful File::sync();
//  - a directory entry (create, rename, remove) is durable once sync_dir() of its directory
//    succeeds; files present before the wrapper first saw them count as durable;
//  - simulate_crash() rewrites the real directory tree to exactly the durable state and
//    invalidates every File handle opened before it;
//  - a truncate that is not synced is kept (the bytes it cut do not come back), which is the
//    pessimistic choice for a log that truncates only to cut a torn tail;
//  - directories themselves are treated as durable when created.
// Lives in namespace iotwins (not iotwins::testing) so it does not shadow GoogleTest's
// ::testing inside test files.
// Thread-safe: one mutex guards the model, so it may be shared by the threads of the code
// under test.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/fs.h"

namespace iotwins {

class FaultInjectingFileSystem final : public FileSystem {
 public:
  // With forward_syncs false, syncs only update the model and never reach the disk: crash
  // tests then run at memory speed, and their outcome is the same because durability is
  // judged by the model, not by the disk.
  explicit FaultInjectingFileSystem(FileSystem& base, bool forward_syncs = true);
  ~FaultInjectingFileSystem() override;

  Result<std::unique_ptr<File>> open(const std::string& path, OpenMode mode) override;
  Result<bool> exists(const std::string& path) override;
  Status create_dirs(const std::string& path) override;
  Result<std::vector<std::string>> list(const std::string& dir) override;
  Status remove(const std::string& path) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status sync_dir(const std::string& dir) override;
  Result<uint64_t> file_size(const std::string& path) override;
  Result<uint64_t> free_bytes(const std::string& path) override;

  // --- fault injection ---
  // The next n syncs (File::sync and sync_dir) fail with io_error and make nothing durable.
  void fail_next_syncs(int n);
  // After `bytes` more appended bytes, appends fail as ENOSPC would (resource_exhausted); the
  // append that crosses the limit writes the prefix that fits, like a short write(2).
  void fill_disk_after(uint64_t bytes);
  // Gives the disk its space back.
  void clear_disk_full();
  // The next append writes only its first `keep` bytes, which reach the disk (together with
  // everything written to that file before), then the machine dies: every later operation
  // fails with io_error until simulate_crash().
  void tear_next_append(size_t keep);
  // The mutating operation with index `index` (counted by mutating_ops(), from 0 at
  // construction) fails without effect and the machine dies as above. Mutating operations:
  // open for writing, append, sync, truncate, remove, rename, sync_dir, create_dirs.
  void crash_at_op(uint64_t index);
  // Mutating operations seen so far (including ones that failed).
  uint64_t mutating_ops() const;
  // True after an injected crash until simulate_crash().
  bool is_down() const;

  // Drops every unsynced byte and every unsynced directory change, then lets the file system
  // work again. Handles opened before fail from now on.
  Status simulate_crash();

  // Counters, for tests that check how often a writer synced.
  uint64_t sync_count() const;

 private:
  friend class FaultFile;
  struct Node {
    uint64_t durable_len = 0;
    // The smallest size since the last sync: bytes below it were never rewritten.
    uint64_t low_water = 0;
  };
  struct State;

  std::unique_ptr<State> state_;
};

}  // namespace iotwins
