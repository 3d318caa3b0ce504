#include "scheduler/types.h"

#include <cctype>

namespace iotwins::scheduler {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool valid_label_text(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '/')) {
      return false;
    }
  }
  return true;
}

std::unexpected<Error> bad(std::string_view text, const std::string& what) {
  return make_error(Errc::invalid_argument, "label requirement '" + std::string(text) + "': " + what);
}

}  // namespace

std::string_view to_string(Level level) {
  switch (level) {
    case Level::iot: return "iot";
    case Level::edge: return "edge";
    case Level::cloud: return "cloud";
  }
  return "?";
}

Result<Level> parse_level(std::string_view text) {
  if (text == "iot") return Level::iot;
  if (text == "edge") return Level::edge;
  if (text == "cloud") return Level::cloud;
  return make_error(Errc::invalid_argument, "level must be iot, edge or cloud, got '" + std::string(text) + "'");
}

std::string_view to_string(NodeState state) {
  switch (state) {
    case NodeState::ready: return "ready";
    case NodeState::unreachable: return "unreachable";
    case NodeState::draining: return "draining";
    case NodeState::down: return "down";
  }
  return "?";
}

Result<NodeState> parse_node_state(std::string_view text) {
  if (text == "ready") return NodeState::ready;
  if (text == "unreachable") return NodeState::unreachable;
  if (text == "draining") return NodeState::draining;
  if (text == "down") return NodeState::down;
  return make_error(Errc::invalid_argument,
                    "node state must be ready, unreachable, draining or down, got '" + std::string(text) + "'");
}

std::string_view to_string(Strategy strategy) {
  return strategy == Strategy::binpack ? "binpack" : "spread";
}

Result<Strategy> parse_strategy(std::string_view text) {
  if (text == "binpack") return Strategy::binpack;
  if (text == "spread") return Strategy::spread;
  return make_error(Errc::invalid_argument, "strategy must be binpack or spread, got '" + std::string(text) + "'");
}

Result<LabelRequirement> parse_label_requirement(std::string_view text) {
  std::string_view s = trim(text);
  LabelRequirement r;
  if (s.starts_with('!')) {
    r.op = LabelRequirement::Op::not_exists;
    r.key = trim(s.substr(1));
    if (!valid_label_text(r.key)) return bad(text, "bad key after '!'");
    return r;
  }
  if (size_t ne = s.find("!="); ne != std::string_view::npos) {
    r.op = LabelRequirement::Op::ne;
    r.key = trim(s.substr(0, ne));
    r.values.emplace_back(trim(s.substr(ne + 2)));
  } else if (size_t eq = s.find('='); eq != std::string_view::npos) {
    r.op = LabelRequirement::Op::eq;
    // "==" is accepted as "=".
    std::string_view value = s.substr(eq + 1);
    if (value.starts_with('=')) value.remove_prefix(1);
    r.key = trim(s.substr(0, eq));
    r.values.emplace_back(trim(value));
  } else if (size_t open = s.find('('); open != std::string_view::npos) {
    std::string_view head = trim(s.substr(0, open));
    size_t space = head.find_last_of(" \t");
    if (space == std::string_view::npos) return bad(text, "expected 'key in (a,b)' or 'key notin (a,b)'");
    std::string_view op = head.substr(space + 1);
    if (op == "in") {
      r.op = LabelRequirement::Op::in;
    } else if (op == "notin") {
      r.op = LabelRequirement::Op::not_in;
    } else {
      return bad(text, "unknown operator '" + std::string(op) + "' (in, notin)");
    }
    r.key = trim(head.substr(0, space));
    if (!s.ends_with(')')) return bad(text, "missing ')'");
    std::string_view list = s.substr(open + 1, s.size() - open - 2);
    while (true) {
      size_t comma = list.find(',');
      std::string_view v = trim(list.substr(0, comma));
      if (!valid_label_text(v)) return bad(text, "bad value '" + std::string(v) + "' in the list");
      r.values.emplace_back(v);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  } else {
    r.op = LabelRequirement::Op::exists;
    r.key = s;
  }
  if (!valid_label_text(r.key)) return bad(text, "bad key '" + r.key + "' (letters, digits, . _ - /)");
  for (const std::string& v : r.values) {
    if (!valid_label_text(v)) return bad(text, "bad value '" + v + "'");
  }
  return r;
}

std::string to_string(const LabelRequirement& r) {
  auto list = [&] {
    std::string out = "(";
    for (size_t i = 0; i < r.values.size(); ++i) out += (i ? "," : "") + r.values[i];
    return out + ")";
  };
  switch (r.op) {
    case LabelRequirement::Op::eq: return r.key + "=" + (r.values.empty() ? "" : r.values[0]);
    case LabelRequirement::Op::ne: return r.key + "!=" + (r.values.empty() ? "" : r.values[0]);
    case LabelRequirement::Op::in: return r.key + " in " + list();
    case LabelRequirement::Op::not_in: return r.key + " notin " + list();
    case LabelRequirement::Op::exists: return r.key;
    case LabelRequirement::Op::not_exists: return "!" + r.key;
  }
  return r.key;
}

}  // namespace iotwins::scheduler
