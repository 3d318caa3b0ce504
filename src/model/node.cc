#include "model/node.h"

#include <cctype>

namespace iotwins::model {

std::string_view to_string(Level level) {
  switch (level) {
    case Level::iot: return "iot";
    case Level::edge: return "edge";
    case Level::cloud: return "cloud";
  }
  return "edge";
}

Result<Level> parse_level(std::string_view text) {
  if (text == "iot") return Level::iot;
  if (text == "edge") return Level::edge;
  if (text == "cloud") return Level::cloud;
  return make_error(Errc::invalid_argument,
                    "unknown level '" + std::string(text) + "' (allowed: iot, edge, cloud)");
}

std::string_view to_string(NodeState state) {
  switch (state) {
    case NodeState::ready: return "ready";
    case NodeState::unreachable: return "unreachable";
    case NodeState::draining: return "draining";
    case NodeState::down: return "down";
  }
  return "ready";
}

Result<NodeState> parse_node_state(std::string_view text) {
  if (text == "ready") return NodeState::ready;
  if (text == "unreachable") return NodeState::unreachable;
  if (text == "draining") return NodeState::draining;
  if (text == "down") return NodeState::down;
  return make_error(Errc::invalid_argument, "unknown node state '" + std::string(text) +
                                                "' (allowed: ready, unreachable, draining, down)");
}

Status validate_node_id(std::string_view id) {
  if (id.empty() || id.size() > 64) {
    return make_error(Errc::invalid_argument, "node id must have 1 to 64 characters");
  }
  for (char c : id) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-')) {
      return make_error(Errc::invalid_argument, "node id '" + std::string(id) +
                                                    "' may contain only a-z, 0-9 and '-'");
    }
  }
  return ok();
}

Status validate_labels(const std::map<std::string, std::string>& labels) {
  if (labels.size() > 64) return make_error(Errc::invalid_argument, "at most 64 labels");
  for (const auto& [k, v] : labels) {
    if (k.empty() || k.size() > 63) {
      return make_error(Errc::invalid_argument, "label key '" + k + "' must have 1 to 63 characters");
    }
    for (char c : k) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '/' ||
            c == '-')) {
        return make_error(Errc::invalid_argument,
                          "label key '" + k + "' may contain only A-Z, a-z, 0-9, '.', '_', '/', '-'");
      }
    }
    if (v.size() > 253) {
      return make_error(Errc::invalid_argument, "label '" + k + "' value is longer than 253");
    }
    for (unsigned char c : v) {
      if (c < 0x20 || c == 0x7f) {
        return make_error(Errc::invalid_argument, "label '" + k + "' value has a control character");
      }
    }
  }
  return ok();
}

}  // namespace iotwins::model
