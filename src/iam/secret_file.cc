#include "iam/secret_file.h"

#include <sys/stat.h>

#include <cerrno>

namespace iotwins::iam {

Status make_private_dir(FileSystem& fs, const std::string& dir) {
  IOT_TRY(fs.create_dirs(dir));
  if (::chmod(dir.c_str(), 0700) != 0) return errno_error("restrict " + dir + " to its owner", errno);
  return ok();
}

Status write_secret_file(FileSystem& fs, const std::string& path, std::string_view data) {
  IOT_TRY(fs.write_file_atomic(path, data));
  if (::chmod(path.c_str(), 0600) != 0) return errno_error("restrict " + path + " to its owner", errno);
  return ok();
}

Result<unsigned> file_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_error("stat " + path, errno);
  return static_cast<unsigned>(st.st_mode & 07777);
}

}  // namespace iotwins::iam
