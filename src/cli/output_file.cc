#include "cli/output_file.h"

#include <unistd.h>

namespace iotwins::cli {

Result<OutputFile> OutputFile::open(std::string path) {
  if (path == "-") return OutputFile(std::move(path), stdout);
  std::string part = path + ".iotwins-part";
  std::FILE* f = std::fopen(part.c_str(), "wb");
  if (!f) return make_error(Errc::io_error, "cannot write " + part);
  return OutputFile(std::move(path), f);
}

OutputFile::OutputFile(OutputFile&& o) noexcept : path_(std::move(o.path_)), file_(o.file_) { o.file_ = nullptr; }

OutputFile::~OutputFile() {
  if (file_ == nullptr || is_stdout()) return;
  std::fclose(file_);
  std::remove(part_path().c_str());
}

Status OutputFile::write(std::string_view piece) {
  if (std::fwrite(piece.data(), 1, piece.size(), file_) != piece.size()) {
    return make_error(Errc::io_error, "write " + (is_stdout() ? std::string("stdout") : part_path()) + " failed");
  }
  return ok();
}

Status OutputFile::commit() {
  if (is_stdout()) {
    std::fflush(stdout);
    return ok();
  }
  std::FILE* f = file_;
  file_ = nullptr;
  const std::string part = part_path();
  bool written = std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  if (std::fclose(f) != 0 || !written) {
    std::remove(part.c_str());
    return make_error(Errc::io_error, "write " + part + " failed");
  }
  if (std::rename(part.c_str(), path_.c_str()) != 0) {
    std::remove(part.c_str());
    return make_error(Errc::io_error, "cannot rename " + part + " to " + path_);
  }
  return ok();
}

}  // namespace iotwins::cli
