#include "tosca/value.h"

#include <cmath>
#include <cstdio>

namespace iotwins::tosca {

const Value* Value::find(std::string_view key) const {
  if (!is_map()) return nullptr;
  for (const auto& [k, v] : as_map())
    if (k == key) return &v;
  return nullptr;
}

Value* Value::find(std::string_view key) {
  if (!is_map()) return nullptr;
  for (auto& [k, v] : as_map())
    if (k == key) return &v;
  return nullptr;
}

void Value::set(std::string key, Value v) {
  if (is_null()) data_ = Map{};
  if (Value* existing = find(key)) {
    *existing = std::move(v);
    return;
  }
  as_map().emplace_back(std::move(key), std::move(v));
}

size_t Value::size() const {
  if (is_list()) return as_list().size();
  if (is_map()) return as_map().size();
  if (is_string()) return as_string().size();
  return 0;
}

namespace {

std::string format_double(double d) {
  if (std::isnan(d)) return ".nan";
  if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  return buf;
}

void render(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Value::Kind::null: out += "null"; break;
    case Value::Kind::boolean: out += v.as_bool() ? "true" : "false"; break;
    case Value::Kind::integer:
    case Value::Kind::floating: out += v.scalar_text(); break;
    case Value::Kind::string: out += v.as_string(); break;
    case Value::Kind::list: {
      out += '[';
      bool first = true;
      for (const auto& e : v.as_list()) {
        if (!first) out += ", ";
        first = false;
        render(e, out);
      }
      out += ']';
      break;
    }
    case Value::Kind::map: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.as_map()) {
        if (!first) out += ", ";
        first = false;
        out += k;
        out += ": ";
        render(e, out);
      }
      out += '}';
      break;
    }
  }
}

}  // namespace

const std::string& Value::source_text() const {
  static const std::string kEmpty;
  if (const auto* f = std::get_if<Float>(&data_)) return f->text;
  return kEmpty;
}

std::string Value::scalar_text() const {
  switch (kind()) {
    case Kind::null: return "null";
    case Kind::boolean: return as_bool() ? "true" : "false";
    case Kind::integer: return std::to_string(as_int());
    case Kind::floating: {
      const Float& f = std::get<Float>(data_);
      return f.text.empty() ? format_double(f.value) : f.text;
    }
    case Kind::string: return as_string();
    default: return to_string();
  }
}

std::string Value::to_string() const {
  std::string out;
  render(*this, out);
  if (out.size() > 200) out = out.substr(0, 197) + "...";
  return out;
}

bool Value::operator==(const Value& other) const {
  if (is_number() && other.is_number()) {
    if (is_int() && other.is_int()) return as_int() == other.as_int();
    return as_number() == other.as_number();
  }
  if (kind() != other.kind()) return false;
  switch (kind()) {
    case Kind::null: return true;
    case Kind::boolean: return as_bool() == other.as_bool();
    case Kind::string: return as_string() == other.as_string();
    case Kind::list: return as_list() == other.as_list();
    case Kind::map: {
      if (as_map().size() != other.as_map().size()) return false;
      for (const auto& [k, v] : as_map()) {
        const Value* o = other.find(k);
        if (o == nullptr || !(v == *o)) return false;
      }
      return true;
    }
    default: return false;
  }
}

std::string_view kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::null: return "null";
    case Value::Kind::boolean: return "boolean";
    case Value::Kind::integer: return "integer";
    case Value::Kind::floating: return "float";
    case Value::Kind::string: return "string";
    case Value::Kind::list: return "list";
    case Value::Kind::map: return "map";
  }
  return "?";
}

std::string child_path(std::string_view path, std::string_view key) {
  std::string out;
  out.reserve(path.size() + key.size() + 1);
  out += path;
  if (!path.empty()) out += '.';
  out += key;
  return out;
}

std::string index_path(std::string_view path, size_t index) {
  std::string out(path);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

}  // namespace iotwins::tosca
