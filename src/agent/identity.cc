#include "agent/identity.h"

#include <nlohmann/json.hpp>

namespace iotwins::agent {

Result<Identity> load_identity(FileSystem& fs, const std::string& data_dir) {
  std::string path = join_path(data_dir, "node.json");
  IOT_ASSIGN(std::string text, fs.read_file(path));
  try {
    auto j = nlohmann::json::parse(text);
    Identity id;
    id.node_id = j.at("node_id").get<std::string>();
    id.server_url = j.value("server_url", "");
    return id;
  } catch (const nlohmann::json::exception& e) {
    return make_error(Errc::corruption, path + " is damaged (" + e.what() +
                                            "); move it away to register as a new node");
  }
}

Status save_identity(FileSystem& fs, const std::string& data_dir, const Identity& id) {
  nlohmann::json j = {{"node_id", id.node_id}, {"server_url", id.server_url}};
  return fs.write_file_atomic(join_path(data_dir, "node.json"), j.dump(2) + "\n");
}

}  // namespace iotwins::agent
