// FileSystem: every module that must survive crashes and full disks (wal, tsdb, buffers,
// metadata files) does its file I/O through this interface, so tests can inject torn writes,
// failing fsync and ENOSPC (see src/testing/fault_fs.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins {

// An open file. Not thread-safe: one owner at a time.
class File {
 public:
  virtual ~File() = default;
  // Appends at the end (files opened for append) or writes at the current position.
  virtual Status append(std::string_view data) = 0;
  // Reads up to n bytes at offset; a short read means end of file.
  virtual Result<std::string> read_at(uint64_t offset, size_t n) const = 0;
  // Makes everything written so far durable (fdatasync).
  virtual Status sync() = 0;
  virtual Status truncate(uint64_t size) = 0;
  virtual Result<uint64_t> size() const = 0;
  virtual Status close() = 0;
};

enum class OpenMode {
  read,            // must exist
  append,          // create if missing, writes go to the end
  truncate_write,  // create or empty, then write
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual Result<std::unique_ptr<File>> open(const std::string& path, OpenMode mode) = 0;
  virtual Result<bool> exists(const std::string& path) = 0;
  // Creates the directory and its parents; fine if it exists.
  virtual Status create_dirs(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory, sorted.
  virtual Result<std::vector<std::string>> list(const std::string& dir) = 0;
  virtual Status remove(const std::string& path) = 0;
  // Atomic replace on POSIX.
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  // Makes a directory's entries (creations, renames, removals) durable.
  virtual Status sync_dir(const std::string& dir) = 0;
  virtual Result<uint64_t> file_size(const std::string& path) = 0;
  // Bytes free for an unprivileged writer on the file system holding path.
  virtual Result<uint64_t> free_bytes(const std::string& path) = 0;

  // Reads a whole file.
  Result<std::string> read_file(const std::string& path);
  // Writes a whole file durably and atomically: temp file, fsync, rename, fsync dir.
  Status write_file_atomic(const std::string& path, std::string_view data);
};

// The real file system (POSIX calls).
class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<File>> open(const std::string& path, OpenMode mode) override;
  Result<bool> exists(const std::string& path) override;
  Status create_dirs(const std::string& path) override;
  Result<std::vector<std::string>> list(const std::string& dir) override;
  Status remove(const std::string& path) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status sync_dir(const std::string& dir) override;
  Result<uint64_t> file_size(const std::string& path) override;
  Result<uint64_t> free_bytes(const std::string& path) override;

  static PosixFileSystem& instance();
};

// "a/b" + "c" -> "a/b/c"; dirname("a/b/c") -> "a/b".
std::string join_path(std::string_view dir, std::string_view name);
std::string dirname(std::string_view path);

}  // namespace iotwins
