// Pieces of `iotwins up` in their own files.
#pragma once

#include <string>

#include "api/http_client.h"

namespace iotwins::cli {

// PUTs the plant file's site, lines and assets as a twin tree (cloud → edge → iot); returns how many.
Result<size_t> put_plant_twins(api::HttpClient& server, const std::string& plant_path);

}  // namespace iotwins::cli
