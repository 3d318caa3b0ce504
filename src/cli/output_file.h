// Where `get` commands write a download: FILE.iotwins-part first, renamed to FILE only once the
// whole content arrived and was verified (flushed and fsynced), so FILE is never a partial
// download; "-" writes to stdout. Dropping it without commit() removes the part file.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "core/result.h"

namespace iotwins::cli {

class OutputFile {
 public:
  static Result<OutputFile> open(std::string path);
  OutputFile(OutputFile&& o) noexcept;
  OutputFile& operator=(OutputFile&&) = delete;
  ~OutputFile();

  Status write(std::string_view piece);
  Status commit();
  const std::string& path() const { return path_; }
  bool is_stdout() const { return path_ == "-"; }

 private:
  OutputFile(std::string path, std::FILE* f) : path_(std::move(path)), file_(f) {}
  std::string part_path() const { return path_ + ".iotwins-part"; }
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace iotwins::cli
