// libFuzzer target: the YAML configuration file (`--config FILE`) through parse_command, with a
// spec that declares one key of every ConfigType. The loader reads a path, so each input is
// written to one temporary file per process first. An accepted file must leave every key with
// a value that passes its own validation (the typed getters silently read a bad value as 0).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config.h"

using namespace iotwins;

namespace {

const ConfigSpec& spec() {
  static const ConfigSpec spec = [] {
    ConfigSpec s("server", "fuzzed configuration");
    s.add_common();
    s.add({.name = "listen", .type = ConfigType::string, .default_value = "127.0.0.1:8470"});
    s.add({.name = "workers", .type = ConfigType::integer, .default_value = "4", .min = 1, .max = 256});
    s.add({.name = "tls", .type = ConfigType::boolean, .default_value = "false"});
    s.add({.name = "heartbeat", .type = ConfigType::duration, .default_value = "5s"});
    s.add({.name = "max-body", .type = ConfigType::size, .default_value = "1MiB"});
    s.add({.name = "level", .type = ConfigType::choice, .default_value = "edge", .choices = {"iot", "edge", "cloud"}});
    s.add({.name = "labels", .type = ConfigType::list});
    s.add({.name = "storage.path", .type = ConfigType::string});
    return s;
  }();
  return spec;
}

const std::string& file_path() {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("iotwins-fuzz-config-" + std::to_string(::getpid()) + ".yaml"))
          .string();
  return path;
}

void remove_file() { std::remove(file_path().c_str()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = (std::atexit(remove_file), true);
  (void)registered;
  FILE* f = std::fopen(file_path().c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  const std::vector<std::string> args = {"--config", file_path()};
  auto parsed = parse_command(spec(), args, Environment{});
  if (!parsed) return 0;
  const Config& c = parsed->config;
  for (const ConfigKey& key : spec().keys()) {
    if (c.str(key.name).empty()) continue;
    if (!validate_value(key, c.str(key.name), "fuzz")) std::abort();
  }
  (void)c.duration("heartbeat");
  (void)c.size("max-body");
  (void)c.list("labels");
  return 0;
}
