// JsonReader: strict, field-by-field decoding of untrusted JSON objects with errors that name
// the field path ("facts.cores: expected an integer"). Include only from .cc files.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/result.h"

namespace iotwins::model {

class JsonReader {
 public:
  // `path` prefixes every error ("" for the top level).
  JsonReader(const nlohmann::json& j, std::string path);

  // The first error met; every getter is a no-op after it.
  const std::optional<Error>& error() const { return error_; }
  Status status() const;

  // Required fields fail when missing; optional ones leave `out` untouched.
  void str(const char* key, std::string& out, bool required = false, size_t max_len = 1024);
  void integer(const char* key, int64_t& out, bool required = false);
  void integer(const char* key, int& out, bool required = false);
  void uinteger(const char* key, uint64_t& out, bool required = false);
  void number(const char* key, double& out, bool required = false);
  void boolean(const char* key, bool& out, bool required = false);
  void string_map(const char* key, std::map<std::string, std::string>& out);
  // A nested object (nullptr if missing and not required, or on error).
  const nlohmann::json* object(const char* key, bool required = false);
  const nlohmann::json* array(const char* key, bool required = false);

  std::string field(const char* key) const;  // "path.key"
  void fail(std::string field, std::string what);

 private:
  const nlohmann::json* get(const char* key, bool required);

  const nlohmann::json& j_;
  std::string path_;
  std::optional<Error> error_;
};

}  // namespace iotwins::model
