#include "twin/json_shape.h"

#include <charconv>

namespace iotwins::twin::detail {
namespace {

using nlohmann::json;

std::size_t number_size(double d) {
  // nlohmann's own shortest round-trip formatter, so the size matches dump() exactly
  // ("3.0", "1e+21", "100000000000000000000.0").
  char buf[64];
  char* end = nlohmann::detail::to_chars(buf, buf + sizeof(buf), d);
  return static_cast<std::size_t>(end - buf);
}

template <class Int>
std::size_t int_size(Int v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  return static_cast<std::size_t>(end - buf);
}

}  // namespace

std::size_t json_string_size(std::string_view s) {
  std::size_t n = 2;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
      n += 2;
    } else if (c < 0x20) {
      n += 6;  // \u00XX
    } else {
      n += 1;
    }
  }
  return n;
}

std::size_t json_size(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return 4;
    case json::value_t::boolean: return value.get<bool>() ? 4 : 5;
    case json::value_t::number_integer: return int_size(value.get<int64_t>());
    case json::value_t::number_unsigned: return int_size(value.get<uint64_t>());
    case json::value_t::number_float: {
      double d = value.get<double>();
      // nlohmann writes non-finite numbers as null.
      if (d != d || d - d != 0) return 4;
      return number_size(d);
    }
    case json::value_t::string: return json_string_size(value.get_ref<const std::string&>());
    case json::value_t::array: {
      std::size_t n = 2 + (value.empty() ? 0 : value.size() - 1);
      for (const auto& v : value) n += json_size(v);
      return n;
    }
    case json::value_t::object: {
      std::size_t n = 2 + (value.empty() ? 0 : value.size() - 1);
      for (const auto& [k, v] : value.items()) n += json_string_size(k) + 1 + json_size(v);
      return n;
    }
    case json::value_t::binary:
    case json::value_t::discarded: return 4;
  }
  return 4;
}

Status check_key(std::string_view key, const std::string& path, const Limits& limits) {
  if (key.empty()) return make_error(Errc::invalid_argument, path + ": empty key");
  if (key.size() > limits.max_key_bytes) {
    return make_error(Errc::too_large, path + ": key is " + std::to_string(key.size()) +
                                           " bytes, limit " +
                                           std::to_string(limits.max_key_bytes));
  }
  for (unsigned char c : key) {
    if (c == '.') {
      return make_error(Errc::invalid_argument,
                        path + ": key contains '.', which separates path segments");
    }
    if (c < 0x20 || c == 0x7f) {
      return make_error(Errc::invalid_argument, path + ": key contains a control character");
    }
  }
  return ok();
}

Status check_value(const json& value, std::string& path, int depth, const Limits& limits) {
  if (depth > limits.max_depth) {
    return make_error(Errc::too_large, path + ": nesting deeper than " +
                                           std::to_string(limits.max_depth) + " levels");
  }
  if (value.is_object()) {
    if (value.size() > limits.max_keys_per_object) {
      return make_error(Errc::too_large, path + ": object has " + std::to_string(value.size()) +
                                             " keys, limit " +
                                             std::to_string(limits.max_keys_per_object));
    }
    const std::size_t mark = path.size();
    for (const auto& [k, v] : value.items()) {
      push_key(path, k);
      IOT_TRY(check_key(k, path, limits));
      IOT_TRY(check_value(v, path, depth + 1, limits));
      pop_to(path, mark);
    }
  } else if (value.is_array()) {
    const std::size_t mark = path.size();
    for (std::size_t i = 0; i < value.size(); ++i) {
      push_index(path, i);
      IOT_TRY(check_value(value[i], path, depth + 1, limits));
      pop_to(path, mark);
    }
  } else if (value.is_binary() || value.is_discarded()) {
    return make_error(Errc::invalid_argument, path + ": not a JSON value");
  }
  return ok();
}

void push_key(std::string& path, std::string_view key) {
  path += '.';
  path += key;
}

void push_index(std::string& path, std::size_t index) {
  path += '.';
  path += std::to_string(index);
}

void pop_to(std::string& path, std::size_t size) { path.resize(size); }

}  // namespace iotwins::twin::detail
