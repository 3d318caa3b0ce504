#include "model/json_reader.h"

namespace iotwins::model {

JsonReader::JsonReader(const nlohmann::json& j, std::string path) : j_(j), path_(std::move(path)) {
  if (!j_.is_object()) {
    fail(path_.empty() ? "body" : path_, "expected a JSON object");
  }
}

Status JsonReader::status() const {
  if (error_) return std::unexpected(*error_);
  return ok();
}

std::string JsonReader::field(const char* key) const {
  return path_.empty() ? std::string(key) : path_ + "." + key;
}

void JsonReader::fail(std::string field, std::string what) {
  if (!error_) error_ = Error(Errc::invalid_argument, std::move(field) + ": " + std::move(what));
}

const nlohmann::json* JsonReader::get(const char* key, bool required) {
  if (error_) return nullptr;
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) {
    if (required) fail(field(key), "is required");
    return nullptr;
  }
  return &*it;
}

void JsonReader::str(const char* key, std::string& out, bool required, size_t max_len) {
  const auto* v = get(key, required);
  if (v == nullptr) return;
  if (!v->is_string()) return fail(field(key), "expected a string");
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_len) {
    return fail(field(key), "longer than " + std::to_string(max_len) + " characters");
  }
  out = s;
}

void JsonReader::integer(const char* key, int64_t& out, bool required) {
  const auto* v = get(key, required);
  if (v == nullptr) return;
  if (!v->is_number_integer()) return fail(field(key), "expected an integer");
  out = v->get<int64_t>();
}

void JsonReader::integer(const char* key, int& out, bool required) {
  int64_t v = out;
  integer(key, v, required);
  if (error_) return;
  if (v < INT32_MIN || v > INT32_MAX) return fail(field(key), "out of range");
  out = static_cast<int>(v);
}

void JsonReader::uinteger(const char* key, uint64_t& out, bool required) {
  const auto* v = get(key, required);
  if (v == nullptr) return;
  if (!v->is_number_integer() || (v->is_number_integer() && !v->is_number_unsigned() && v->get<int64_t>() < 0)) {
    return fail(field(key), "expected a non-negative integer");
  }
  out = v->get<uint64_t>();
}

void JsonReader::number(const char* key, double& out, bool required) {
  const auto* v = get(key, required);
  if (v == nullptr) return;
  if (!v->is_number()) return fail(field(key), "expected a number");
  out = v->get<double>();
}

void JsonReader::boolean(const char* key, bool& out, bool required) {
  const auto* v = get(key, required);
  if (v == nullptr) return;
  if (!v->is_boolean()) return fail(field(key), "expected true or false");
  out = v->get<bool>();
}

void JsonReader::string_map(const char* key, std::map<std::string, std::string>& out) {
  const auto* v = get(key, false);
  if (v == nullptr) return;
  if (!v->is_object()) return fail(field(key), "expected an object of strings");
  std::map<std::string, std::string> m;
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_string()) return fail(field(key) + "." + it.key(), "expected a string");
    m.emplace(it.key(), it.value().get<std::string>());
  }
  out = std::move(m);
}

const nlohmann::json* JsonReader::object(const char* key, bool required) {
  const auto* v = get(key, required);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    fail(field(key), "expected an object");
    return nullptr;
  }
  return v;
}

const nlohmann::json* JsonReader::array(const char* key, bool required) {
  const auto* v = get(key, required);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    fail(field(key), "expected an array");
    return nullptr;
  }
  return v;
}

}  // namespace iotwins::model
