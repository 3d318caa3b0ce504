// Pieces of `iotwins up` in their own files.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

#include "api/http_client.h"
#include "cli/credentials.h"
#include "core/fs.h"

namespace iotwins::cli {

// PUTs the plant file's site, lines and assets as a twin tree (cloud → edge → iot); returns how many.
Result<size_t> put_plant_twins(api::HttpClient& server, const std::string& plant_path);

// The factory chain's inputs for the plant: its first pump (twin, model, a filter over its
// properties, a short training history) and the site as the `plant` label of the edge gateway.
struct ChainInputs {
  std::string twin;
  nlohmann::json values;
};
Result<ChainInputs> chain_inputs_for_plant(const std::string& plant_path);

struct ChainDeployment {
  std::string id;
  std::string action;  // deployed | updated | reused
};
// Deploys the chain, or finds the one an earlier `up` deployed (state_path) and updates it when
// the template or inputs changed.
Result<ChainDeployment> ensure_chain(api::HttpClient& server, const std::string& template_path,
                                     const ChainInputs& inputs, const std::string& state_path);
// Follows the deployment until *_COMPLETE (its JSON), printing each instance's state as it
// changes; an error when it fails, on timeout, or on Ctrl-C.
Result<nlohmann::json> wait_for_chain(api::HttpClient& server, const std::string& id, std::chrono::seconds timeout);

// ok() when host:port can be bound now; else an error naming `what`, the port and `way_out`.
Status check_port_free(const std::string& host, int port, const std::string& what, const std::string& way_out);

// Credentials (up_login.cc). The admin's password: <data-dir>/secrets/admin.password (0600),
// made at the first start and given to the server's first start (--admin-password-file).
Result<std::string> ensure_admin_password_file(FileSystem& fs, const std::string& data_dir);
// Logs in as admin with that password; a clear error when the server's data predates the file.
Result<StoredCredentials> login_as_admin(FileSystem& fs, api::HttpClient& server, const std::string& password_file);
// A one-time join token (10 minutes) for an agent that has not joined yet.
Result<std::string> make_join_token(api::HttpClient& server);

}  // namespace iotwins::cli
