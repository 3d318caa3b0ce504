// The agent's identity on disk: node.json in its data dir holds the id the server gave it,
// written atomically, so a restarted agent is the same node.
#pragma once

#include <string>

#include "core/fs.h"
#include "core/result.h"

namespace iotwins::agent {

struct Identity {
  std::string node_id;
  std::string server_url;  // the server that issued the id
};

// not_found when the agent never registered from this data dir.
Result<Identity> load_identity(FileSystem& fs, const std::string& data_dir);
Status save_identity(FileSystem& fs, const std::string& data_dir, const Identity& id);

}  // namespace iotwins::agent
