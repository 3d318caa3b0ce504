#include "tosca/yaml_reader.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

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

class Converter {
 public:
  Converter(const Mark& file, Diagnostics& diag, const YamlLimits& limits)
      : file_(file), diag_(diag), limits_(limits) {}

  bool failed() const { return failed_; }

  Value convert(const YAML::Node& node, size_t depth) {
    Mark mark = file_;
    mark.line = node.Mark().line + 1;
    mark.column = node.Mark().column + 1;
    if (failed_) return Value();
    if (++nodes_ > limits_.max_nodes) {
      fail(mark, Code::too_large,
           "the document expands to more than " + std::to_string(limits_.max_nodes) +
               " YAML nodes (aliases included)");
      return Value();
    }
    if (depth > limits_.max_depth) {
      fail(mark, Code::too_large, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
      return Value();
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null: return Value().with_mark(mark);
      case YAML::NodeType::Scalar: return scalar(node, mark);
      case YAML::NodeType::Sequence: {
        Value::List list;
        list.reserve(node.size());
        for (const auto& item : node) list.push_back(convert(item, depth + 1));
        return Value(std::move(list)).with_mark(mark);
      }
      case YAML::NodeType::Map: return map(node, mark, depth);
    }
    return Value().with_mark(mark);
  }

 private:
  Value scalar(const YAML::Node& node, const Mark& mark) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    Value v;
    if (tag == "?") {
      v = plain_scalar(text);
      if (!v.is_string()) v.set_source_text(text);
    } else if (tag == "!" || tag == "tag:yaml.org,2002:str") {
      v = Value(text);
    } else if (tag == "tag:yaml.org,2002:int" && is_decimal_int(text)) {
      v = plain_scalar(text);
    } else if (tag == "tag:yaml.org,2002:float" && is_float_text(text)) {
      v = Value(std::strtod(text.c_str(), nullptr));
    } else if (tag == "tag:yaml.org,2002:bool") {
      v = plain_scalar(text);
      if (!v.is_bool()) v = Value(text);
    } else if (tag == "tag:yaml.org,2002:null") {
      v = Value();
    } else {
      v = Value(text);  // an application tag: keep the text
    }
    v.set_mark(mark);
    return v;
  }

  Value map(const YAML::Node& node, const Mark& mark, size_t depth) {
    Value::Map entries;
    entries.reserve(node.size());
    Value::Map merged;  // entries brought in by `<<`; explicit keys win over them
    for (const auto& kv : node) {
      Mark key_mark = file_;
      key_mark.line = kv.first.Mark().line + 1;
      key_mark.column = kv.first.Mark().column + 1;
      if (!kv.first.IsScalar()) {
        fail(key_mark, Code::wrong_kind, "map keys must be plain strings, not a list or map");
        return Value();
      }
      const std::string& key = kv.first.Scalar();
      if (key == "<<" && kv.first.Tag() == "?") {
        Value src = convert(kv.second, depth + 1);
        auto merge_one = [&](const Value& m) {
          if (!m.is_map()) {
            diag_.add(Code::wrong_kind, m.mark(), "", "a `<<` merge key needs a map or a list of maps");
            return;
          }
          for (const auto& e : m.as_map()) {
            bool present = false;
            for (const auto& x : merged) present = present || x.first == e.first;
            if (!present) merged.push_back(e);
          }
        };
        if (src.is_list()) {
          for (const auto& m : src.as_list()) merge_one(m);
        } else {
          merge_one(src);
        }
        continue;
      }
      bool dup = false;
      for (const auto& e : entries) dup = dup || e.first == key;
      if (dup) {
        diag_.add(Code::duplicate_name, key_mark, "", "the key `" + key + "` appears twice in one map");
        continue;
      }
      // The value of a key with no value (`key:`) has no mark of its own; use the key's.
      Value v = convert(kv.second, depth + 1);
      if (v.is_null() && v.mark().line == 0) v.set_mark(key_mark);
      entries.emplace_back(key, std::move(v));
    }
    for (auto& e : merged) {
      bool present = false;
      for (const auto& x : entries) present = present || x.first == e.first;
      if (!present) entries.push_back(std::move(e));
    }
    return Value(std::move(entries)).with_mark(mark);
  }

  void fail(const Mark& mark, Code code, std::string message) {
    if (!failed_) diag_.add(code, mark, "", std::move(message));
    failed_ = true;
  }

  const Mark& file_;
  Diagnostics& diag_;
  const YamlLimits& limits_;
  size_t nodes_ = 0;
  bool failed_ = false;
};

}  // namespace

std::optional<Value> read_yaml(std::string_view text, const Mark& file, Diagnostics& diag,
                               const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    diag.add(Code::too_large, file, "",
             "the file is " + std::to_string(text.size()) + " bytes; the limit is " +
                 std::to_string(limits.max_bytes));
    return std::nullopt;
  }
  try {
    YAML::Node root = YAML::Load(std::string(text));
    Converter conv(file, diag, limits);
    Value v = conv.convert(root, 0);
    if (conv.failed()) return std::nullopt;
    if (v.mark().line == 0) {
      Mark m = file;
      m.line = 1;
      m.column = 1;
      v.set_mark(m);
    }
    return v;
  } catch (const YAML::Exception& e) {
    Mark m = file;
    m.line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    m.column = e.mark.column >= 0 ? e.mark.column + 1 : 0;
    diag.add(Code::yaml_syntax, m, "", "YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {
    diag.add(Code::yaml_syntax, file, "", std::string("YAML could not be read: ") + e.what());
  }
  return std::nullopt;
}

}  // namespace iotwins::tosca
