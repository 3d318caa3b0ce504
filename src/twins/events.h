// The data-plane event types the twins understand. Types starting with '$' are the platform's
// own: the agent's ingest refuses them from devices.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace iotwins::twins {

// From devices (iotwins/<twin>/reported): a partial reported document, or {"state":{"reported":{…}}}.
inline constexpr std::string_view kReportedEvent = "reported";
// From an edge agent: desired changes made locally, {"desired":{…}}, stamped with when they were made.
inline constexpr std::string_view kDesiredEvent = "$desired";
// From an agent: the twin's device talks to this node's broker, {"node":"<node id>"}.
inline constexpr std::string_view kAttachedEvent = "$attached";

// {"state":{"reported":X}} → X (the AWS form); anything else is returned as is.
inline nlohmann::json unwrap_reported(nlohmann::json value) {
  if (value.is_object() && value.size() == 1) {
    auto s = value.find("state");
    if (s != value.end() && s->is_object() && s->size() == 1 && s->contains("reported")) {
      return std::move((*s)["reported"]);
    }
  }
  return value;
}

}  // namespace iotwins::twins
