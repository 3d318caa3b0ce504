// ArtifactStore: content-addressed files (task executables, model files) named by the SHA-256 of
// their bytes, under <dir>/<sha[0:2]>/<sha>. A put streams into a temp file while hashing, syncs
// it and renames it in, so a reader never sees a partial artifact and a crash leaves at most a
// temp file (removed when the store is opened again). Putting the same bytes twice is one file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/fs.h"
#include "core/result.h"

namespace iotwins::artifacts {

struct ArtifactInfo {
  std::string sha256;  // 64 lowercase hex digits
  uint64_t size = 0;   // bytes
  bool operator==(const ArtifactInfo&) const = default;
};

struct StoreOptions {
  uint64_t max_bytes = uint64_t{4} << 30;  // one artifact at most; a larger put is too_large
};

// 64 lowercase hex digits, else invalid_argument: every name that reaches a path is checked
// here, so "../x" or "/etc/passwd" can never name a file.
Status validate_sha256(std::string_view sha256);

class ArtifactStore;

// One put in progress: write() the bytes in order, then commit(). Dropping it without a
// commit removes the temp file. Not thread-safe (one writer, one thread).
class ArtifactWriter {
 public:
  ArtifactWriter(ArtifactWriter&&) noexcept;
  ArtifactWriter& operator=(ArtifactWriter&&) = delete;
  ~ArtifactWriter();

  // too_large once the store's max_bytes is passed; after any error the writer is spent.
  Status write(std::string_view bytes);
  // Syncs and renames the file in. With `expected_sha256`, a different digest is corruption
  // and leaves nothing behind (the agent's cache checks what it fetched this way).
  Result<ArtifactInfo> commit(std::string_view expected_sha256 = {});
  uint64_t bytes_written() const { return size_; }

 private:
  friend class ArtifactStore;
  struct Hasher;
  ArtifactWriter(ArtifactStore& store, std::string temp_path, std::unique_ptr<File> file);
  void discard();

  ArtifactStore* store_;
  std::string temp_path_;
  std::unique_ptr<File> file_;
  std::unique_ptr<Hasher> hasher_;
  uint64_t size_ = 0;
  bool spent_ = false;
};

struct ArtifactPage {
  std::vector<ArtifactInfo> items;  // ascending sha256
  std::string next_after;           // pass as `after` for the next page; empty: this was the last
};

// Thread-safe. One ArtifactStore per directory per process: opening removes leftover temp files,
// which would include another live instance's puts in progress.
class ArtifactStore {
 public:
  static Result<std::unique_ptr<ArtifactStore>> open(std::string dir, StoreOptions options = {},
                                                     FileSystem& fs = PosixFileSystem::instance());

  // Starts a put (streaming: an HTTP body arrives piece by piece).
  Result<ArtifactWriter> begin_put();
  // Reads `read` until it returns an empty piece, then commits.
  using ByteReader = std::function<Result<std::string>()>;
  Result<ArtifactInfo> put(const ByteReader& read);
  Result<ArtifactInfo> put(std::string_view bytes);

  // invalid_argument for a bad name, not_found when absent.
  Result<ArtifactInfo> stat(std::string_view sha256);
  Result<std::unique_ptr<File>> open_artifact(std::string_view sha256);
  // The whole artifact (small ones: model files; large ones should be read through open_artifact).
  Result<std::string> read(std::string_view sha256);
  // The file's path, for callers that must hand a path to another program (exec).
  Result<std::string> path_of(std::string_view sha256);
  // Re-hashes the file: corruption when its bytes no longer match its name.
  Status verify(std::string_view sha256);
  Status remove(std::string_view sha256);
  // Artifacts with sha256 > after (empty: from the start), at most `limit` (1..10000).
  Result<ArtifactPage> list(std::string_view after = {}, size_t limit = 1000);

  const std::string& dir() const { return dir_; }
  const StoreOptions& options() const { return options_; }

 private:
  friend class ArtifactWriter;
  ArtifactStore(std::string dir, StoreOptions options, FileSystem& fs)
      : dir_(std::move(dir)), options_(options), fs_(fs) {}
  std::string final_path(std::string_view sha256) const;
  Result<ArtifactInfo> install(const std::string& temp_path, const std::string& sha256, uint64_t size);

  std::string dir_;
  StoreOptions options_;
  FileSystem& fs_;
};

}  // namespace iotwins::artifacts
