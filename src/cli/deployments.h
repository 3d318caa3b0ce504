// `iotwins deploy`, `iotwins deployments` and `iotwins undeploy`: computing chains through the
// server's /api/v1/deployments. The pieces they share live here.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <span>
#include <string>

#include "api/http_client.h"

namespace iotwins::cli {

int run_deploy(std::span<const std::string> args);
int run_deployments(std::span<const std::string> args);
int run_undeploy(std::span<const std::string> args);

// Polls the deployment until its status leaves *_IN_PROGRESS or `timeout` passes, printing the
// status and each node instance's state as they change. Exit code: 0 when *_COMPLETE, 1 when
// *_FAILED (the reasons printed), 3 on timeout, 1 on a request error.
int wait_for_deployment(api::HttpClient& client, const std::string& id, std::chrono::milliseconds timeout,
                        const std::string& command);
// "d-1  CREATE_FAILED  cannot place: …" and, per instance, "  name[index]  node  state  reason".
void print_deployment(const nlohmann::json& d);
std::string deployment_path(const std::string& id);
// Uploads every artifact file given as a path relative to the template (base_dir) to the server's
// artifact store and returns the template with `sha256:<hex>` in each one's place; `uploaded` hears
// (path, sha256) of each. A relative path that is not a file is invalid_argument.
Result<std::string> upload_local_artifacts(api::HttpClient& client, const std::string& text, const std::string& base_dir,
                                           const std::function<void(const std::string&, const std::string&)>& uploaded);

}  // namespace iotwins::cli
