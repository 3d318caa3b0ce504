// Configuration: one ConfigSpec per command declares every key once; values come from, in
// rising precedence, the defaults, a YAML file (--config), the environment (IOTWINS_<KEY>,
// upper case, '-' -> '_') and the command-line flags (--key value | --key=value).
// Every value is validated against its type; every error names the key and where it came from.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins {

enum class ConfigType {
  string,
  integer,   // signed 64-bit, optional [min, max]
  boolean,   // true/false/yes/no/1/0; a bare --flag means true
  duration,  // "250ms", "5s", "2m", "1h", "0"
  size,      // "512", "64KiB", "16MiB", "1GiB", "10MB"
  choice,    // one of `choices`
  list,      // comma-separated strings (flag may repeat)
};

struct ConfigKey {
  std::string name;  // "listen", "log-level"
  ConfigType type = ConfigType::string;
  std::string default_value;  // as text; empty means unset unless the type has a zero
  std::string help;
  std::vector<std::string> choices;  // for ConfigType::choice
  int64_t min = INT64_MIN;           // for integer
  int64_t max = INT64_MAX;
  char short_flag = 0;  // e.g. 'o' for -o
};

class ConfigSpec {
 public:
  ConfigSpec(std::string command, std::string summary, std::string usage = "");

  ConfigSpec& add(ConfigKey key);
  // Adds log-level, log-format and config: every process command has them.
  ConfigSpec& add_common();
  // Allows positional arguments, described in help as `name`.
  ConfigSpec& positional(std::string name, std::string help);

  const std::string& command() const { return command_; }
  const std::string& summary() const { return summary_; }
  const std::vector<ConfigKey>& keys() const { return keys_; }
  const ConfigKey* find(std::string_view name) const;
  const ConfigKey* find_short(char c) const;
  bool takes_positional() const { return !positional_name_.empty(); }

  // The --help text: usage, summary, flags with defaults and environment variable names.
  std::string help() const;

 private:
  std::string command_;
  std::string summary_;
  std::string usage_;
  std::string positional_name_;
  std::string positional_help_;
  std::vector<ConfigKey> keys_;
};

enum class ConfigSource { default_value, file, environment, flag };

class Config {
 public:
  // Typed getters; the key must exist in the spec (asking for an undeclared key is a bug).
  const std::string& str(std::string_view key) const;
  int64_t integer(std::string_view key) const;
  bool boolean(std::string_view key) const;
  std::chrono::milliseconds duration(std::string_view key) const;
  uint64_t size(std::string_view key) const;
  std::vector<std::string> list(std::string_view key) const;
  bool is_set(std::string_view key) const;  // set by anything but the default
  ConfigSource source(std::string_view key) const;

  void set(const std::string& key, std::string value, ConfigSource source);

 private:
  struct Value {
    std::string text;
    ConfigSource source;
  };
  const Value& at(std::string_view key) const;
  std::map<std::string, Value, std::less<>> values_;
};

struct ParsedCommand {
  Config config;
  std::vector<std::string> positional;
  bool help = false;  // --help or -h was given: print spec.help() and exit 0
};

// The environment as a map (injected in tests). from_environ() reads the process's.
using Environment = std::map<std::string, std::string, std::less<>>;
Environment environment_from_process();

// Parses args (without the program and command names) against the spec.
Result<ParsedCommand> parse_command(const ConfigSpec& spec, std::span<const std::string> args,
                                    const Environment& env);

// Validates one textual value for a key; the error names the key and the allowed values.
Status validate_value(const ConfigKey& key, std::string_view value, std::string_view where);

// Parsers shared by the config and the rest of the code.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);
Result<uint64_t> parse_size(std::string_view text);
std::string env_name(std::string_view key);  // "log-level" -> "IOTWINS_LOG_LEVEL"

}  // namespace iotwins
