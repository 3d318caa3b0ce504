#include <algorithm>
#include "tosca/validate.h"

#include "tosca/instance_builder.h"
#include "tosca/profiles.h"
#include "tosca/validator.h"
#include "tosca/yaml_reader.h"

namespace iotwins::tosca {

namespace {

void summarize(const LoadedTemplate& loaded, const Resolved* resolved, ValidationReport& report) {
  TopologySummary& s = report.summary;
  std::vector<const ServiceFile*> seen;
  for (const auto& f : loaded.files) {
    if (std::find(seen.begin(), seen.end(), f.get()) != seen.end()) continue;
    seen.push_back(f.get());
    s.files.push_back(f->file);
    bool builtin = !f->types.empty() && f->types.front().builtin;
    if (!builtin) s.types_defined += f->types.size();
  }
  if (loaded.main == nullptr) return;
  const ServiceFile& m = *loaded.main;
  s.version = std::string(version_name(m.version));
  s.description = m.description;
  const TopologyTemplate& t = m.topology;
  s.node_templates = t.node_templates.size();
  s.relationship_templates = t.relationship_templates.size();
  s.groups = t.groups.size();
  s.policies = t.policies.size();
  s.inputs = t.inputs.size();
  s.outputs = t.outputs.size();
  s.workflows = t.workflows.size();
  for (size_t i = 0; i < t.node_templates.size(); ++i) {
    const TypeDef* nt = resolved != nullptr ? resolved->node_types[i] : nullptr;
    ++s.node_types[nt != nullptr ? nt->name : t.node_templates[i].type];
  }
  if (resolved != nullptr)
    for (const auto& links : resolved->links) s.relationships += links.size();
  if (report.instance != nullptr)
    for (const auto& layer : report.instance->layers) {
      std::vector<std::string> names;
      for (size_t i : layer) names.push_back(report.instance->nodes[i].name);
      s.layers.push_back(std::move(names));
    }
}

}  // namespace

ValidationReport validate(const Source& source, const Value& inputs, const ValidateOptions& options) {
  ValidationReport report;
  Diagnostics diag(options.max_errors);
  std::string text;
  std::string label = source.label.empty() ? source.path : source.label;
  std::string dir = source.base_dir.empty() ? "." : source.base_dir;
  if (source.is_file) {
    FileSystem& fs = options.load.fs != nullptr ? *options.load.fs : PosixFileSystem::instance();
    auto size = fs.file_size(source.path);
    if (size && *size > options.load.yaml.max_bytes) {
      Mark m;
      m.file = std::make_shared<const std::string>(label);
      diag.add(Code::too_large, m, "", "the file is " + std::to_string(*size) + " bytes; the limit is " +
                                           std::to_string(options.load.yaml.max_bytes));
      report.diagnostics = diag.items();
      return report;
    }
    auto content = fs.read_file(source.path);
    if (!content) {
      Mark m;
      m.file = std::make_shared<const std::string>(label);
      diag.add(Code::cannot_read, m, "", "cannot read the template: " + content.error().message());
      report.diagnostics = diag.items();
      return report;
    }
    text = std::move(*content);
    dir = dirname(source.path);
    if (dir.empty()) dir = ".";
  } else {
    text = source.text;
  }
  auto loaded = load_template(text, label, dir, options.load, diag);
  const Value no_inputs = Value::map();
  const Value& given = inputs.is_map() ? inputs : no_inputs;
  std::optional<Resolved> resolved;
  if (loaded->main != nullptr) {
    Validator validator(*loaded, diag, given);
    resolved = validator.run();
    if (diag.empty() && options.build_instance) report.instance = build_instance(*loaded, *resolved, diag);
    if (!diag.empty()) report.instance.reset();
  }
  diag.sort();
  report.diagnostics = diag.items();
  summarize(*loaded, resolved ? &*resolved : nullptr, report);
  return report;
}

std::string ValidationReport::to_text() const {
  std::string out;
  for (const auto& d : diagnostics) out += d.to_string() + "\n";
  if (ok()) {
    out += "valid: " + std::to_string(summary.node_templates) + " node templates, " +
           std::to_string(summary.relationships) + " relationships, " + std::to_string(summary.policies) +
           " policies, " + std::to_string(summary.layers.size()) + " deployment layers\n";
  } else {
    out += "invalid: " + std::to_string(diagnostics.size()) + " error" + (diagnostics.size() == 1 ? "" : "s") + "\n";
  }
  return out;
}

Result<Value> parse_input_assignments(const std::vector<std::string>& assignments) {
  Value out = Value::map();
  for (const auto& a : assignments) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error(Errc::invalid_argument, "input `" + a + "` is not name=value");
    std::string name = a.substr(0, eq);
    Diagnostics diag;
    Mark m;
    m.file = std::make_shared<const std::string>("--input " + name);
    std::string body = a.substr(eq + 1);
    auto v = body.empty() ? std::optional<Value>(Value(std::string())) : read_yaml(body, m, diag);
    if (!v) return make_error(Errc::invalid_argument, "input `" + name + "`: " + diag.items().front().message);
    if (v->is_null() && v->mark().line == 0) v->set_mark(m);
    out.set(name, std::move(*v));
  }
  return out;
}

Result<Value> parse_inputs_yaml(std::string_view text, const std::string& label) {
  Diagnostics diag;
  Mark m;
  m.file = std::make_shared<const std::string>(label);
  auto v = read_yaml(text, m, diag);
  if (!v) return make_error(Errc::invalid_argument, diag.items().front().to_string());
  if (v->is_null()) return Value::map();
  if (!v->is_map()) return make_error(Errc::invalid_argument, label + ": inputs must be a map of name: value");
  return std::move(*v);
}

std::vector<Diagnostic> check_builtin_profiles() {
  ValidateOptions options;
  options.build_instance = false;
  auto report = validate(Source::from_text("tosca_definitions_version: tosca_simple_yaml_1_3\nimports: [iotwins]\n"),
                         Value::map(), options);
  std::vector<Diagnostic> out = report.diagnostics;
  // The user-file checks skip built-ins for speed; run them here on the profiles' types.
  Diagnostics diag;
  auto loaded = load_template("tosca_definitions_version: tosca_simple_yaml_1_3\nimports: [iotwins]\n", "<check>", ".",
                              LoadOptions{}, diag);
  Validator v(*loaded, diag, Value::map());
  for (const auto& f : loaded->files) v.check_type_definitions(*f);
  for (const auto& d : diag.items()) out.push_back(d);
  return out;
}

}  // namespace iotwins::tosca
