// Loader: reads the main service template and, depth first, everything it imports
// (relative files, URLs mapped to local copies, built-in profiles by name), detects import
// cycles, and registers every type in one TypeRegistry (namespace prefixes as aliases).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/fs.h"
#include "tosca/diagnostics.h"
#include "tosca/registry.h"
#include "tosca/topology.h"
#include "tosca/yaml_reader.h"

namespace iotwins::tosca {

struct LoadOptions {
  FileSystem* fs = nullptr;  // nullptr: the real file system
  // Imports by URL are never fetched; a URL starting with a key here is read from the local
  // directory it maps to (e.g. the INDIGO custom types repository -> a checked-out copy).
  std::map<std::string, std::string> import_map;
  size_t max_files = 128;
  size_t max_import_depth = 32;
  YamlLimits yaml;
};

struct LoadedTemplate {
  std::vector<std::shared_ptr<const ServiceFile>> files;  // built-ins, imports, then main
  const ServiceFile* main = nullptr;
  // The same file, writable: it belongs to this load alone, so the instance builder may move
  // its node templates' values into the model instead of copying them.
  ServiceFile* main_owned = nullptr;
  TypeRegistry registry;
};

// `label` names the main document in diagnostics; `dir` is where its relative imports are
// looked up. Never fails: problems are in `diag`, and `main` is null only when the main
// document could not be read as YAML.
std::unique_ptr<LoadedTemplate> load_template(std::string_view text, const std::string& label,
                                              const std::string& dir, const LoadOptions& options,
                                              Diagnostics& diag);

// A built-in profile, parsed once per process ("tosca-normative", "iotwins").
std::shared_ptr<const ServiceFile> builtin_service(std::string_view name, Diagnostics& diag);

}  // namespace iotwins::tosca
