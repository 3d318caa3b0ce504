// Logging: one spdlog logger per module ("wal", "api", ...), all writing to stderr with one
// level and one format chosen at start (--log-level, --log-format text|json).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace iotwins::log {

enum class Format { text, json };

// Sets the level ("trace", "debug", "info", "warn", "error", "off") and format for every
// logger, existing and future.
Status init(std::string_view level, Format format);

// The module's logger, created on first use. Cache it: `static auto& log = log::get("wal");`
spdlog::logger& get(std::string_view module);

// Escapes a string for a JSON string literal (no quotes added).
std::string json_escape(std::string_view s);

}  // namespace iotwins::log
