#include "core/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

extern char** environ;

namespace iotwins {
namespace {

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

Result<int64_t> parse_int(std::string_view text) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return make_error(Errc::invalid_argument, "not an integer");
  }
  return v;
}

Result<bool> parse_bool(std::string_view text) {
  std::string t(text);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "true" || t == "yes" || t == "1" || t == "on") return true;
  if (t == "false" || t == "no" || t == "0" || t == "off") return false;
  return make_error(Errc::invalid_argument, "not a boolean");
}

// Splits "12.5MiB" into the number and the unit.
std::pair<std::string_view, std::string_view> split_unit(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  return {text.substr(0, i), text.substr(i)};
}

std::string where_text(ConfigSource source, const std::string& key, const std::string& file) {
  switch (source) {
    case ConfigSource::flag: return "flag --" + key;
    case ConfigSource::environment: return "environment " + env_name(key);
    case ConfigSource::file: return "config file " + file + " key '" + key + "'";
    case ConfigSource::default_value: return "default of " + key;
  }
  return key;
}

std::string type_hint(const ConfigKey& key) {
  switch (key.type) {
    case ConfigType::string: return "TEXT";
    case ConfigType::integer: return "N";
    case ConfigType::boolean: return "";
    case ConfigType::duration: return "DURATION";
    case ConfigType::size: return "SIZE";
    case ConfigType::choice: return join(key.choices, "|");
    case ConfigType::list: return "A,B,...";
  }
  return "";
}

Status load_yaml_item(const ConfigSpec& spec, const std::string& path, const YAML::Node& key_node,
                      const YAML::Node& value, Config& out);

// Loads the YAML file's top-level mapping into `out`.
Status load_yaml(const ConfigSpec& spec, const std::string& path, Config& out) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return make_error(Errc::invalid_argument, "config file " + path + ": cannot be read");
  } catch (const YAML::ParserException& e) {
    return make_error(Errc::invalid_argument,
                      "config file " + path + ":" + std::to_string(e.mark.line + 1) + ":" +
                          std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (root.IsNull()) return ok();
  if (!root.IsMap()) {
    return make_error(Errc::invalid_argument, "config file " + path + ": must be a mapping of keys");
  }
  try {
    for (const auto& item : root) {
      IOT_TRY(load_yaml_item(spec, path, item.first, item.second, out));
    }
  } catch (const YAML::Exception& e) {
    // A key or value of the wrong shape (a mapping as a key, a list of mappings …).
    return make_error(Errc::invalid_argument, "config file " + path + ":" + std::to_string(e.mark.line + 1) +
                                                  ":" + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return ok();
}

Status load_yaml_item(const ConfigSpec& spec, const std::string& path, const YAML::Node& key_node,
                      const YAML::Node& value, Config& out) {
  {
    std::string name = key_node.as<std::string>();
    const ConfigKey* key = spec.find(name);
    if (key == nullptr) {
      return make_error(Errc::invalid_argument,
                        "config file " + path + ":" + std::to_string(key_node.Mark().line + 1) +
                            ": unknown key '" + name + "' for '" + spec.command() + "'");
    }
    std::string text;
    if (value.IsSequence()) {
      std::vector<std::string> parts;
      for (const auto& v : value) parts.push_back(v.as<std::string>());
      text = join(parts, ",");
    } else if (value.IsScalar()) {
      text = value.as<std::string>();
    } else {
      return make_error(Errc::invalid_argument,
                        "config file " + path + ": key '" + name + "' must be a scalar or a list");
    }
    IOT_TRY(validate_value(*key, text, where_text(ConfigSource::file, name, path)));
    out.set(name, text, ConfigSource::file);
  }
  return ok();
}

}  // namespace

std::string env_name(std::string_view key) {
  std::string out = "IOTWINS_";
  for (char c : key) {
    out += (c == '-' || c == '.') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto [num, unit] = split_unit(text);
  if (num.empty()) return make_error(Errc::invalid_argument, "not a duration");
  double v = std::strtod(std::string(num).c_str(), nullptr);
  double ms = 0;
  if (unit == "ms") ms = v;
  else if (unit == "s") ms = v * 1e3;
  else if (unit == "m" || unit == "min") ms = v * 60e3;
  else if (unit == "h") ms = v * 3600e3;
  else if (unit == "d") ms = v * 86400e3;
  else if (unit.empty() && v == 0) ms = 0;
  else return make_error(Errc::invalid_argument, "not a duration (use e.g. 250ms, 5s, 2m, 1h)");
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

Result<uint64_t> parse_size(std::string_view text) {
  auto [num, unit] = split_unit(text);
  if (num.empty()) return make_error(Errc::invalid_argument, "not a size");
  double v = std::strtod(std::string(num).c_str(), nullptr);
  double mult = 0;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "KiB") mult = 1024.0;
  else if (unit == "MiB") mult = 1024.0 * 1024;
  else if (unit == "GiB") mult = 1024.0 * 1024 * 1024;
  else if (unit == "TiB") mult = 1024.0 * 1024 * 1024 * 1024;
  else if (unit == "KB" || unit == "kB") mult = 1e3;
  else if (unit == "MB") mult = 1e6;
  else if (unit == "GB") mult = 1e9;
  else if (unit == "TB") mult = 1e12;
  else return make_error(Errc::invalid_argument, "not a size (use e.g. 512, 64KiB, 16MiB, 1GiB)");
  return static_cast<uint64_t>(v * mult);
}

Status validate_value(const ConfigKey& key, std::string_view value, std::string_view where) {
  auto fail = [&](std::string allowed) {
    return make_error(Errc::invalid_argument, "invalid value '" + std::string(value) + "' for " +
                                                  std::string(where) + " (" + allowed + ")");
  };
  switch (key.type) {
    case ConfigType::string:
    case ConfigType::list: return ok();
    case ConfigType::integer: {
      auto v = parse_int(value);
      if (!v) return fail("expected an integer");
      if (*v < key.min || *v > key.max) {
        return fail("allowed: " + std::to_string(key.min) + " to " + std::to_string(key.max));
      }
      return ok();
    }
    case ConfigType::boolean:
      if (!parse_bool(value)) return fail("allowed: true, false");
      return ok();
    case ConfigType::duration:
      if (!parse_duration(value)) return fail("expected a duration such as 250ms, 5s, 2m, 1h");
      return ok();
    case ConfigType::size:
      if (!parse_size(value)) return fail("expected a size such as 4096, 64KiB, 16MiB, 1GiB");
      return ok();
    case ConfigType::choice:
      if (std::find(key.choices.begin(), key.choices.end(), value) == key.choices.end()) {
        return fail("allowed: " + join(key.choices, ", "));
      }
      return ok();
  }
  return ok();
}

ConfigSpec::ConfigSpec(std::string command, std::string summary, std::string usage)
    : command_(std::move(command)), summary_(std::move(summary)), usage_(std::move(usage)) {}

ConfigSpec& ConfigSpec::add(ConfigKey key) {
  keys_.push_back(std::move(key));
  return *this;
}

ConfigSpec& ConfigSpec::add_common() {
  add({.name = "log-level", .type = ConfigType::choice, .default_value = "info",
       .help = "how much to log", .choices = {"trace", "debug", "info", "warn", "error", "off"}});
  add({.name = "log-format", .type = ConfigType::choice, .default_value = "text",
       .help = "log line format on stderr", .choices = {"text", "json"}});
  add({.name = "config", .type = ConfigType::string, .help = "YAML file with any of these keys"});
  return *this;
}

ConfigSpec& ConfigSpec::positional(std::string name, std::string help) {
  positional_name_ = std::move(name);
  positional_help_ = std::move(help);
  return *this;
}

const ConfigKey* ConfigSpec::find(std::string_view name) const {
  for (const auto& k : keys_) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

const ConfigKey* ConfigSpec::find_short(char c) const {
  for (const auto& k : keys_) {
    if (k.short_flag == c) return &k;
  }
  return nullptr;
}

std::string ConfigSpec::help() const {
  std::ostringstream out;
  out << "Usage: iotwins " << command_;
  if (!usage_.empty()) {
    out << " " << usage_;
  } else {
    if (!keys_.empty()) out << " [flags]";
    if (!positional_name_.empty()) out << " " << positional_name_;
  }
  out << "\n\n" << summary_ << "\n";
  if (!positional_name_.empty()) {
    out << "\nArguments:\n  " << positional_name_ << "  " << positional_help_ << "\n";
  }
  if (!keys_.empty()) {
    out << "\nFlags (also settable as environment IOTWINS_<FLAG> or in --config FILE):\n";
    for (const auto& k : keys_) {
      std::string left = "  ";
      if (k.short_flag) left += std::string("-") + k.short_flag + ", ";
      left += "--" + k.name;
      std::string hint = type_hint(k);
      if (!hint.empty()) left += " " + hint;
      out << left;
      size_t pad = left.size() < 34 ? 34 - left.size() : 1;
      out << std::string(pad, ' ') << k.help;
      if (!k.default_value.empty()) out << " (default: " << k.default_value << ")";
      out << "\n";
    }
    out << "  -h, --help" << std::string(24, ' ') << "show this help\n";
  }
  return out.str();
}

const Config::Value& Config::at(std::string_view key) const {
  static const Value empty{"", ConfigSource::default_value};
  auto it = values_.find(key);
  return it == values_.end() ? empty : it->second;
}

const std::string& Config::str(std::string_view key) const { return at(key).text; }

int64_t Config::integer(std::string_view key) const {
  auto v = parse_int(at(key).text);
  return v ? *v : 0;
}

bool Config::boolean(std::string_view key) const {
  auto v = parse_bool(at(key).text);
  return v ? *v : false;
}

std::chrono::milliseconds Config::duration(std::string_view key) const {
  auto v = parse_duration(at(key).text);
  return v ? *v : std::chrono::milliseconds(0);
}

uint64_t Config::size(std::string_view key) const {
  auto v = parse_size(at(key).text);
  return v ? *v : 0;
}

std::vector<std::string> Config::list(std::string_view key) const {
  std::vector<std::string> out;
  std::string_view text = at(key).text;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

bool Config::is_set(std::string_view key) const {
  auto it = values_.find(key);
  return it != values_.end() && it->second.source != ConfigSource::default_value;
}

ConfigSource Config::source(std::string_view key) const { return at(key).source; }

void Config::set(const std::string& key, std::string value, ConfigSource source) {
  values_[key] = Value{std::move(value), source};
}

Environment environment_from_process() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

Result<ParsedCommand> parse_command(const ConfigSpec& spec, std::span<const std::string> args,
                                    const Environment& env) {
  ParsedCommand parsed;
  // Pass 1: the flags, kept aside so the file and environment can be applied beneath them.
  std::vector<std::pair<const ConfigKey*, std::string>> flags;
  const std::string more = " (see 'iotwins " + spec.command() + " --help')";
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      return parsed;
    }
    if (arg == "--") {
      for (++i; i < args.size(); ++i) parsed.positional.push_back(args[i]);
      break;
    }
    const ConfigKey* key = nullptr;
    std::optional<std::string> value;
    std::string shown;
    if (arg.starts_with("--")) {
      std::string name = arg.substr(2);
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
      key = spec.find(name);
      shown = "--" + name;
      if (key == nullptr) {
        return make_error(Errc::invalid_argument, "unknown flag " + shown + more);
      }
    } else if (arg.size() == 2 && arg[0] == '-' && arg[1] != '-') {
      key = spec.find_short(arg[1]);
      shown = arg;
      if (key == nullptr) {
        return make_error(Errc::invalid_argument, "unknown flag " + shown + more);
      }
    } else {
      if (!spec.takes_positional()) {
        return make_error(Errc::invalid_argument, "unexpected argument '" + arg + "'" + more);
      }
      parsed.positional.push_back(arg);
      continue;
    }
    if (!value) {
      if (key->type == ConfigType::boolean) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return make_error(Errc::invalid_argument,
                          "flag " + shown + " needs a value (" + type_hint(*key) + ")" + more);
      }
    }
    IOT_TRY(validate_value(*key, *value, "flag --" + key->name));
    flags.emplace_back(key, std::move(*value));
  }

  Config& config = parsed.config;
  for (const auto& key : spec.keys()) {
    if (!key.default_value.empty()) config.set(key.name, key.default_value, ConfigSource::default_value);
  }
  // The config file may itself come from a flag or the environment.
  std::string file;
  if (auto it = env.find(env_name("config")); it != env.end()) file = it->second;
  for (const auto& [key, value] : flags) {
    if (key->name == "config") file = value;
  }
  if (!file.empty() && spec.find("config") != nullptr) IOT_TRY(load_yaml(spec, file, config));
  for (const auto& key : spec.keys()) {
    auto it = env.find(env_name(key.name));
    if (it == env.end()) continue;
    IOT_TRY(validate_value(key, it->second, where_text(ConfigSource::environment, key.name, "")));
    config.set(key.name, it->second, ConfigSource::environment);
  }
  std::map<std::string, std::string> lists;  // a repeated list flag accumulates
  for (const auto& [key, value] : flags) {
    if (key->type == ConfigType::list) {
      auto& acc = lists[key->name];
      acc += (acc.empty() ? "" : ",") + value;
      config.set(key->name, acc, ConfigSource::flag);
    } else {
      config.set(key->name, value, ConfigSource::flag);
    }
  }
  return parsed;
}

}  // namespace iotwins
