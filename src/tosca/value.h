// tosca::Value: the YAML document as a tree of plain values, each carrying the place in the
// source it came from, so every later check can say file:line:column. yaml-cpp stays behind
// yaml_reader.cc; nothing public depends on it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace iotwins::tosca {

struct Mark {
  std::shared_ptr<const std::string> file;  // shared by every value of one file
  int line = 0;                             // 1-based; 0 when unknown (built values)
  int column = 0;                           // 1-based

  std::string_view file_name() const { return file ? std::string_view(*file) : std::string_view(); }
};

class Value {
 public:
  enum class Kind : uint8_t { null, boolean, integer, floating, string, list, map };
  using List = std::vector<Value>;
  using Entry = std::pair<std::string, Value>;
  using Map = std::vector<Entry>;  // keeps document order; keys are unique

  Value() = default;
  explicit Value(bool b) : data_(b) {}
  explicit Value(int64_t i) : data_(i) {}
  explicit Value(double d) : data_(Float{d, {}}) {}
  explicit Value(std::string s) : data_(std::move(s)) {}
  explicit Value(const char* s) : data_(std::string(s)) {}
  explicit Value(List l) : data_(std::move(l)) {}
  explicit Value(Map m) : data_(std::move(m)) {}

  static Value list() { return Value(List{}); }
  static Value map() { return Value(Map{}); }

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_null() const { return kind() == Kind::null; }
  bool is_bool() const { return kind() == Kind::boolean; }
  bool is_int() const { return kind() == Kind::integer; }
  bool is_float() const { return kind() == Kind::floating; }
  bool is_number() const { return is_int() || is_float(); }
  bool is_string() const { return kind() == Kind::string; }
  bool is_list() const { return kind() == Kind::list; }
  bool is_map() const { return kind() == Kind::map; }
  bool is_scalar() const { return !is_list() && !is_map(); }

  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }
  double as_number() const { return is_int() ? static_cast<double>(as_int()) : std::get<Float>(data_).value; }
  const std::string& as_string() const { return std::get<std::string>(data_); }
  const List& as_list() const { return std::get<List>(data_); }
  List& as_list() { return std::get<List>(data_); }
  const Map& as_map() const { return std::get<Map>(data_); }
  Map& as_map() { return std::get<Map>(data_); }

  // Map lookup; nullptr when absent or when this is not a map.
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  // Sets a map entry (replacing an existing one); turns a null into an empty map first.
  void set(std::string key, Value v);
  size_t size() const;

  const Mark& mark() const { return mark_; }
  void set_mark(Mark m) { mark_ = std::move(m); }
  Value&& with_mark(Mark m) && { mark_ = std::move(m); return std::move(*this); }

  // The source text of a float ("1.10"), so a version or a string-typed property written as
  // a number keeps the digits the author typed. Empty for other kinds.
  const std::string& source_text() const;
  void set_source_text(std::string t) {
    if (auto* f = std::get_if<Float>(&data_)) f->text = std::move(t);
  }
  // A scalar as text: the string itself, or the source text / canonical form of a number.
  std::string scalar_text() const;

  // Compact flow-style rendering for messages: {a: 1, b: [x, y]}.
  std::string to_string() const;

  // Structural equality; marks and source text are ignored, 1 == 1.0.
  bool operator==(const Value& other) const;

 private:
  struct Float {
    double value;
    std::string text;  // as written, when read from YAML
  };
  // Index order matches Kind. The float keeps its text inside its own alternative so other
  // values do not pay for it (a Value is 72 bytes; large templates hold many).
  std::variant<std::monostate, bool, int64_t, Float, std::string, List, Map> data_;
  Mark mark_;
};

std::string_view kind_name(Value::Kind kind);

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c"; and list indexes: "a.reqs" + 0 -> "a.reqs[0]".
std::string child_path(std::string_view path, std::string_view key);
std::string index_path(std::string_view path, size_t index);

}  // namespace iotwins::tosca
