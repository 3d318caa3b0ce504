#include "iam/secret_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace iotwins::iam {
namespace {

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Status make_private_dir(FileSystem& fs, const std::string& dir) {
  IOT_TRY(fs.create_dirs(dir));
  if (::chmod(dir.c_str(), 0700) != 0) return errno_error("restrict " + dir + " to its owner", errno);
  return ok();
}

Status write_secret_file(FileSystem& fs, const std::string& path, std::string_view data) {
  IOT_ASSIGN(unsigned dir_mode, file_mode(parent_of(path)));
  if ((dir_mode & 077) == 0) {  // nobody else may enter: the temp file's default mode does not matter
    IOT_TRY(fs.write_file_atomic(path, data));
    if (::chmod(path.c_str(), 0600) != 0) return errno_error("restrict " + path + " to its owner", errno);
    return ok();
  }
  // A directory others may enter (the user chose /tmp or their home): the secret is written
  // and restricted inside a private staging directory next to it, then renamed into place, so
  // it is never readable by anyone else — and the shared directory's own mode is left alone.
  std::string staging = path + ".staging";
  IOT_TRY(make_private_dir(fs, staging));
  std::string staged = staging + "/secret";
  Status st = fs.write_file_atomic(staged, data);
  if (st && ::chmod(staged.c_str(), 0600) != 0) st = errno_error("restrict " + staged + " to its owner", errno);
  if (st) st = fs.rename(staged, path);
  if (st) st = fs.sync_dir(parent_of(path));
  (void)fs.remove(staged);
  ::rmdir(staging.c_str());  // FileSystem::remove unlinks files only
  return st;
}

Result<unsigned> file_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_error("stat " + path, errno);
  return static_cast<unsigned>(st.st_mode & 07777);
}

}  // namespace iotwins::iam
