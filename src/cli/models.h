// What `iotwins models` and `iotwins artifacts` share: the registry verbs and artifact upload.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <span>
#include <string>
#include <vector>

#include "api/http_client.h"
#include "core/config.h"

namespace iotwins::cli {

// PUT /api/v1/artifacts of a file (with its digest, so a corrupted upload is refused) →
// {sha256, size, new}.
Result<nlohmann::json> put_artifact(api::HttpClient& client, const std::string& file);
// iotwins models ls | show NAME | history NAME | register NAME FILE | promote NAME VERSION |
// rollback NAME, over /api/v1/models. `pos` starts with the verb.
int models_registry(const std::vector<std::string>& pos, const Config& config);
// iotwins models train NAME … (the Training task) and iotwins models infer NAME … (the Inference task).
int run_models_train(std::span<const std::string> args);
int run_models_infer(std::span<const std::string> args);

}  // namespace iotwins::cli
