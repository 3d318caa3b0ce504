// The public entry point of the TOSCA module: validate a service template (a file or text)
// with its inputs and get every problem in one pass, a summary of the topology, and, when
// it is valid, the instance model an orchestrator deploys.
//
//   auto report = tosca::validate(tosca::Source::file("chain.yaml"), inputs);
//   if (!report.ok()) std::cerr << report.to_text();
//   else deploy(*report.instance);
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tosca/diagnostics.h"
#include "tosca/instance.h"
#include "tosca/loader.h"
#include "tosca/value.h"

namespace iotwins::tosca {

struct Source {
  std::string path;      // a file to read (relative imports resolve from its directory), or
  std::string text;      // the template itself,
  std::string label;     // named so in diagnostics ("<request>"),
  std::string base_dir;  // with relative imports resolved from here.
  bool is_file = false;

  static Source file(std::string path) { return Source{std::move(path), "", "", "", true}; }
  static Source from_text(std::string text, std::string label = "<input>", std::string base_dir = ".") {
    return Source{"", std::move(text), std::move(label), std::move(base_dir), false};
  }
};

struct ValidateOptions {
  LoadOptions load;
  size_t max_errors = 1000;
  bool build_instance = true;  // when valid
};

struct TopologySummary {
  std::string version;                      // tosca_simple_yaml_1_3
  std::string description;
  std::vector<std::string> files;           // every file loaded, built-ins as <builtin:NAME>
  size_t types_defined = 0;                 // by the template and its imports (not built-ins)
  size_t node_templates = 0;
  size_t relationship_templates = 0;
  size_t groups = 0;
  size_t policies = 0;
  size_t inputs = 0;
  size_t outputs = 0;
  size_t workflows = 0;
  size_t relationships = 0;                 // requirement bindings, implicit ones included
  std::map<std::string, size_t> node_types; // node type -> how many templates
  std::vector<std::vector<std::string>> layers;  // deployment order (valid templates only)
};

struct ValidationReport {
  std::vector<Diagnostic> diagnostics;          // sorted by file, line, column
  TopologySummary summary;
  std::shared_ptr<const InstanceModel> instance;  // set when valid and asked for

  bool ok() const { return diagnostics.empty(); }
  // {"valid": bool, "errors": [{code, file, line, column, path, message}], "summary": {...}}
  std::string to_json() const;
  // One line per problem ("file:line:col: error[code] at path: message"), then a summary line.
  std::string to_text() const;
};

// `inputs` is a map of input name -> value (a null or empty Value means none).
ValidationReport validate(const Source& source, const Value& inputs = Value::map(), const ValidateOptions& options = {});

// CLI inputs: each "name=value", the value read as a YAML scalar or flow collection
// ("port=8080" is an integer, "tags=[a, b]" a list, "name='8080'" a string).
Result<Value> parse_input_assignments(const std::vector<std::string>& assignments);
// Inputs from a YAML file's text (a map of name -> value).
Result<Value> parse_inputs_yaml(std::string_view text, const std::string& label);

// The instance model as JSON (for the REST API and debugging).
std::string instance_to_json(const InstanceModel& model);
// One value as JSON (scalar-units stay the text written), e.g. a node's properties as a config.
std::string value_to_json(const Value& value);

// Problems in the built-in profiles (empty unless the embedded YAML is broken; tested).
std::vector<Diagnostic> check_builtin_profiles();

}  // namespace iotwins::tosca
