// YAML text -> tosca::Value through libyaml's event parser: no intermediate node graph, so a
// 1,000-node template parses in milliseconds (yaml-cpp's YAML::Load alone took longer than the
// whole validation budget; see docs/tosca.md). Anchors and aliases are expanded with a node
// budget, `<<` merge keys applied, duplicate keys reported.
#include "tosca/yaml_reader.h"

#include <yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace iotwins::tosca {

namespace {

bool is_decimal_int(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

bool is_float_text(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') digits = true;
    else if (c == '.' && !dot) dot = true;
    else break;
  }
  if (!digits) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    bool exp_digits = false;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) exp_digits = true;
    if (!exp_digits) return false;
  }
  return i == s.size();
}

// Types a plain scalar by the YAML 1.2 core schema.
Value plain_scalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value();
  if (s == "true" || s == "True" || s == "TRUE") return Value(true);
  if (s == "false" || s == "False" || s == "FALSE") return Value(false);
  char first = s[0];
  // Fast exit for ordinary words: only these can start a number or a special float.
  if (!(first == '-' || first == '+' || first == '.' || (first >= '0' && first <= '9'))) return Value(s);
  if (is_decimal_int(s)) {
    errno = 0;
    long long v = std::strtoll(s.c_str(), nullptr, 10);
    if (errno == 0) return Value(static_cast<int64_t>(v));
    return Value(std::strtod(s.c_str(), nullptr));
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    int base = s[1] == 'x' ? 16 : 8;
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s.c_str() + 2, &end, base);
    if (errno == 0 && end != nullptr && *end == '\0') return Value(static_cast<int64_t>(v));
  }
  if (is_float_text(s)) return Value(std::strtod(s.c_str(), nullptr));
  std::string_view body = s;
  bool neg = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF")
    return Value(neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity());
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return Value(std::numeric_limits<double>::quiet_NaN());
  return Value(s);
}

Value typed_scalar(std::string text, const char* tag, yaml_scalar_style_t style) {
  std::string_view t = tag != nullptr ? std::string_view(tag) : std::string_view();
  if (t.empty() || t == "?") {
    if (style != YAML_PLAIN_SCALAR_STYLE) return Value(std::move(text));
    Value v = plain_scalar(text);
    if (!v.is_string()) v.set_source_text(std::move(text));
    return v;
  }
  if (t == "!" || t == "tag:yaml.org,2002:str") return Value(std::move(text));
  if (t == "tag:yaml.org,2002:int" && is_decimal_int(text)) return plain_scalar(text);
  if (t == "tag:yaml.org,2002:float" && is_float_text(text)) return Value(std::strtod(text.c_str(), nullptr));
  if (t == "tag:yaml.org,2002:bool") {
    Value v = plain_scalar(text);
    return v.is_bool() ? v : Value(std::move(text));
  }
  if (t == "tag:yaml.org,2002:null") return Value();
  return Value(std::move(text));  // an application tag: keep the text
}

class EventReader {
 public:
  EventReader(const Mark& file, Diagnostics& diag, const YamlLimits& limits)
      : file_(file), diag_(diag), limits_(limits) {}

  std::optional<Value> read(std::string_view text) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
      diag_.add(Code::yaml_syntax, file_, "", "the YAML parser could not start (out of memory)");
      return std::nullopt;
    }
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    bool done = false, document_seen = false;
    while (!done && !failed_) {
      yaml_event_t event;
      if (!yaml_parser_parse(&parser, &event)) {
        Mark m = at(parser.problem_mark);
        std::string msg = "YAML syntax error: ";
        msg += parser.problem != nullptr ? parser.problem : "unknown problem";
        if (parser.context != nullptr) msg += std::string(" (") + parser.context + ")";
        fail(m, Code::yaml_syntax, std::move(msg));
        break;
      }
      switch (event.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_DOCUMENT_START_EVENT:
          // Only the first document is the template; later ones are ignored as TOSCA defines one.
          if (document_seen) done = true;
          document_seen = true;
          break;
        case YAML_SCALAR_EVENT: {
          Mark m = at(event.start_mark);
          std::string text_value(reinterpret_cast<const char*>(event.data.scalar.value), event.data.scalar.length);
          Value v = typed_scalar(std::move(text_value), reinterpret_cast<const char*>(event.data.scalar.tag),
                                 event.data.scalar.style);
          v.set_mark(std::move(m));
          bool plain = event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
          bool empty = plain && event.data.scalar.length == 0;
          if (count(v.mark(), 1)) deliver(std::move(v), anchor(event.data.scalar.anchor), 1, plain, empty);
          break;
        }
        case YAML_ALIAS_EVENT: {
          Mark m = at(event.start_mark);
          std::string name = reinterpret_cast<const char*>(event.data.alias.anchor);
          auto it = anchors_.find(name);
          if (it == anchors_.end()) {
            fail(m, Code::yaml_syntax, "alias *" + name + " names no anchor defined before it");
          } else if (count(m, it->second.second)) {
            Value copy = it->second.first;
            deliver(std::move(copy), {}, it->second.second, false, false);
          }
          break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
          Mark m = at(event.start_mark);
          bool is_map = event.type == YAML_MAPPING_START_EVENT;
          const yaml_char_t* a = is_map ? event.data.mapping_start.anchor : event.data.sequence_start.anchor;
          if (!stack_.empty() && stack_.back().is_map && !stack_.back().have_key) {
            fail(m, Code::wrong_kind, "map keys must be plain strings, not a list or map");
            break;
          }
          if (stack_.size() >= limits_.max_depth) {
            fail(m, Code::too_large, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
            break;
          }
          if (!count(m, 1)) break;
          Frame f;
          f.value = is_map ? Value::map() : Value::list();
          f.value.set_mark(m);
          f.is_map = is_map;
          f.anchor = anchor(a);
          f.nodes_at_start = nodes_ - 1;
          stack_.push_back(std::move(f));
          break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
          Frame f = std::move(stack_.back());
          stack_.pop_back();
          if (f.is_map) finish_map(f);
          deliver(std::move(f.value), std::move(f.anchor), nodes_ - f.nodes_at_start, false, false);
          break;
        }
        default: break;
      }
      yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    if (failed_) return std::nullopt;
    if (!root_) {  // an empty document
      Value v;
      Mark m = file_;
      m.line = 1;
      m.column = 1;
      v.set_mark(m);
      return v;
    }
    return std::move(*root_);
  }

 private:
  struct Frame {
    Value value;
    bool is_map = false;
    bool have_key = false;
    bool key_is_merge = false;
    std::string key;
    Mark key_mark;
    std::string anchor;
    size_t nodes_at_start = 0;
    Value::Map merged;  // brought in by `<<`; explicit keys win
    std::unordered_set<std::string> keys;  // filled once a map grows large
  };

  Mark at(const yaml_mark_t& mark) const {
    Mark m = file_;
    m.line = static_cast<int>(mark.line) + 1;
    m.column = static_cast<int>(mark.column) + 1;
    return m;
  }
  static std::string anchor(const yaml_char_t* a) { return a != nullptr ? reinterpret_cast<const char*>(a) : ""; }

  bool count(const Mark& m, size_t n) {
    nodes_ += n;
    if (nodes_ > limits_.max_nodes) {
      fail(m, Code::too_large,
           "the document expands to more than " + std::to_string(limits_.max_nodes) + " YAML nodes (aliases included)");
      return false;
    }
    return true;
  }

  void fail(const Mark& mark, Code code, std::string message) {
    if (!failed_) diag_.add(code, mark, "", std::move(message));
    failed_ = true;
  }

  // `empty`: a plain scalar with no text, i.e. the missing value of `key:`.
  void deliver(Value v, std::string anchor_name, size_t size, bool plain, bool empty) {
    if (!anchor_name.empty()) anchors_[anchor_name] = {v, size};
    if (stack_.empty()) {
      root_ = std::move(v);
      return;
    }
    Frame& p = stack_.back();
    if (!p.is_map) {
      p.value.as_list().push_back(std::move(v));
      return;
    }
    if (!p.have_key) {
      if (!v.is_scalar()) {
        fail(v.mark(), Code::wrong_kind, "map keys must be plain strings, not a list or map");
        return;
      }
      p.key = v.is_string() ? v.as_string() : v.scalar_text();
      p.key_mark = v.mark();
      p.key_is_merge = plain && p.key == "<<";
      p.have_key = true;
      return;
    }
    p.have_key = false;
    if (p.key_is_merge) {
      auto merge_one = [&](const Value& m) {
        if (!m.is_map()) {
          diag_.add(Code::wrong_kind, m.mark(), "", "a `<<` merge key needs a map or a list of maps");
          return;
        }
        for (const auto& e : m.as_map()) {
          bool present = false;
          for (const auto& x : p.merged) present = present || x.first == e.first;
          if (!present) p.merged.push_back(e);
        }
      };
      if (v.is_list())
        for (const auto& m : v.as_list()) merge_one(m);
      else
        merge_one(v);
      return;
    }
    Value::Map& entries = p.value.as_map();
    bool duplicate = false;
    if (entries.size() < 16) {
      for (const auto& e : entries) duplicate = duplicate || e.first == p.key;
    } else {
      // Large maps (node_templates of a big topology): a hash set keeps this linear.
      if (p.keys.empty())
        for (const auto& e : entries) p.keys.insert(e.first);
      duplicate = !p.keys.insert(p.key).second;
    }
    if (duplicate) {
      diag_.add(Code::duplicate_name, p.key_mark, "", "the key `" + p.key + "` appears twice in one map");
      return;
    }
    // A key with no value (`key:`) has an empty scalar placed after the colon; point at the key.
    if (empty) v.set_mark(p.key_mark);
    entries.emplace_back(std::move(p.key), std::move(v));
  }

  void finish_map(Frame& f) {
    for (auto& e : f.merged) {
      bool present = false;
      for (const auto& x : f.value.as_map()) present = present || x.first == e.first;
      if (!present) f.value.as_map().push_back(std::move(e));
    }
  }

  const Mark& file_;
  Diagnostics& diag_;
  const YamlLimits& limits_;
  std::vector<Frame> stack_;
  std::unordered_map<std::string, std::pair<Value, size_t>> anchors_;
  std::optional<Value> root_;
  size_t nodes_ = 0;
  bool failed_ = false;
};

}  // namespace

std::optional<Value> read_yaml(std::string_view text, const Mark& file, Diagnostics& diag, const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    diag.add(Code::too_large, file, "",
             "the file is " + std::to_string(text.size()) + " bytes; the limit is " + std::to_string(limits.max_bytes));
    return std::nullopt;
  }
  EventReader reader(file, diag, limits);
  return reader.read(text);
}

}  // namespace iotwins::tosca
