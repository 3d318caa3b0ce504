// Files that hold secrets (signing keys, the CA key): written atomically through the
// FileSystem, inside a directory only the owner may enter (0700), and left with mode 0600.
// The FileSystem interface has no notion of modes, so modes are set with chmod(2) on the same
// paths; the 0700 directory closes the window in which the temp file has the default mode.
#pragma once

#include <string>
#include <string_view>

#include "core/fs.h"
#include "core/result.h"

namespace iotwins::iam {

// Creates the directory (and parents) and restricts it to its owner.
Status make_private_dir(FileSystem& fs, const std::string& dir);
// write_file_atomic, then mode 0600. In a directory others may enter, the file is written in a
// private staging directory beside it and renamed into place, so no one else can ever read it.
Status write_secret_file(FileSystem& fs, const std::string& path, std::string_view data);
// The permission bits of a path (for tests and start-up checks).
Result<unsigned> file_mode(const std::string& path);

}  // namespace iotwins::iam
