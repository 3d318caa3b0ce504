// The JSON form of twin documents and update requests (ARCHITECTURE.md §4), and a bounded JSON
// text parser for untrusted bodies and payloads.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "twin/document.h"
#include "twin/limits.h"

namespace iotwins::twin {

// {id, model, level, parent, attributes, state:{desired, reported, delta},
//  metadata:{desired, reported}, version, updated}; parent and level are null when unset.
nlohmann::json to_json(const TwinDocument& doc);

// Reads the form to_json writes (persistence, PUT bodies). id is required; model, level,
// parent, attributes, state, metadata, version (default 1) and updated are optional; the
// delta is recomputed, never trusted. Unknown keys and every limit are errors naming the path.
Result<TwinDocument> twin_from_json(const nlohmann::json& value, const Limits& limits = {});

// An update request: {"state":{"desired":{…}|null,"reported":{…}|null},"version":n}, with an
// optional "clientToken" string that is ignored. Shape only: apply_update checks the limits.
Result<StateUpdate> parse_update(const nlohmann::json& body);

// Parses untrusted JSON text: at most limits.max_text_bytes, nesting at most
// limits.max_depth + 4 (room for state.desired... and metadata timestamps), errors with the
// byte offset. Deeper text is refused while parsing, so nothing recursive ever sees it.
Result<nlohmann::json> parse_json_text(std::string_view text, const Limits& limits = {});

}  // namespace iotwins::twin
