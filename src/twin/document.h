// The twin document and its shadow semantics (ARCHITECTURE.md §4, AWS IoT Device Shadow rules):
// desired and reported state merged key by key, null deletes, arrays replaced whole, delta =
// desired fields missing from or different from reported, per-leaf metadata timestamps, and a
// version that every accepted update increments. See docs/twins.md for the rules with examples.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The document's state is JSON through and through, and callers (REST, MQTT, storage, query)
// all read it, so the full header is part of this interface rather than hidden behind a pimpl.
#include <nlohmann/json.hpp>

#include "core/result.h"
#include "twin/limits.h"

namespace iotwins::twin {

// Where a twin lives on the IoT -> Edge -> Cloud continuum; unset when the twin does not say.
enum class Level { unset, iot, edge, cloud };

std::string_view level_name(Level level);  // "" for unset
// "iot" | "edge" | "cloud" | "" (unset); anything else is invalid_argument.
Result<Level> parse_level(std::string_view text);

// Twin ids appear in MQTT topics and URLs: 1..128 bytes of [A-Za-z0-9._:-], starting with a
// letter or digit.
Status validate_twin_id(std::string_view id);
inline constexpr std::string_view kDefaultTwinGroup = "default";
// A group name: 1-64 of [A-Za-z0-9._@-], starting with a letter or digit (as iam names).
Status validate_twin_group(std::string_view group);

struct TwinDocument {
  std::string id;
  std::string model;   // twin model id; empty when the twin has no model
  Level level = Level::unset;
  std::string parent;  // empty for a root
  // The IAM group the twin belongs to: who may see and change it (docs/security.md).
  std::string group = std::string(kDefaultTwinGroup);
  nlohmann::json attributes = nlohmann::json::object();
  nlohmann::json desired = nlohmann::json::object();
  nlohmann::json reported = nlohmann::json::object();
  // Derived from desired and reported by every update; never set by hand.
  nlohmann::json delta = nlohmann::json::object();
  // Mirror desired/reported: each leaf (scalar or array) has {"timestamp": ms since epoch}.
  nlohmann::json desired_metadata = nlohmann::json::object();
  nlohmann::json reported_metadata = nlohmann::json::object();
  int64_t version = 0;
  int64_t updated_ms = 0;  // ms since epoch of the last accepted change
};

// A new twin at version 1 with empty state; validates id, parent and attributes.
Result<TwinDocument> make_twin(std::string id, std::string model, Level level, std::string parent,
                               nlohmann::json attributes, int64_t now_ns,
                               const Limits& limits = {});

// One shadow update. A section left out is untouched; a section that is JSON null is deleted
// whole; an object is merged key by key.
struct StateUpdate {
  std::optional<nlohmann::json> desired;
  std::optional<nlohmann::json> reported;
  // When set, the update is applied only if the twin is at exactly this version (If-Match).
  std::optional<int64_t> expected_version;
};

struct Changes {
  int64_t version = 0;  // the twin's version after the update
  // Full dotted paths whose value changed ("state.desired.pump.speed"), in update order; a key
  // whose subtree was replaced or deleted is listed once, at its own path.
  std::vector<std::string> changed_paths;
  bool delta_changed = false;
  // What to publish on iotwins/<twin>/desired/delta: {"state":{…},"metadata":{…},"version":n,
  // "timestamp":ms}. Set when the update carried desired state and the resulting delta is not
  // empty (the AWS rule); JSON null otherwise.
  nlohmann::json delta_message;
};

// Applies `update` to `doc` at time `now_ns`. On any error (stale version -> conflict, a limit
// -> too_large, malformed state -> invalid_argument, each naming the path) `doc` is unchanged.
// Every accepted update increments the version once, even when no value changed, and stamps
// the metadata of every leaf it carried.
Result<Changes> apply_update(TwinDocument& doc, const StateUpdate& update, int64_t now_ns,
                             const Limits& limits = {});

// The delta message for the document as it stands (see Changes::delta_message); JSON null
// when the delta is empty. A reconnecting device asks for this.
nlohmann::json delta_message(const TwinDocument& doc);

}  // namespace iotwins::twin
