// Diagnostics: every problem found in one pass, each with where (file:line:column and the
// path inside the template), a stable code and a plain-English message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tosca/value.h"

namespace iotwins::tosca {

// Stable error codes: their names are part of the CLI/REST output and of the test corpus
// (tests/tosca/invalid/*.expect). Never rename one; add new ones at the end.
enum class Code {
  yaml_syntax,            // the file is not well-formed YAML
  too_large,              // a size, depth or count limit was exceeded
  missing_version,        // no tosca_definitions_version
  unsupported_version,    // a tosca_definitions_version we do not know
  unknown_field,          // a keyname the grammar does not allow here
  missing_field,          // a required keyname is absent
  wrong_kind,             // a map where a list was expected, etc.
  duplicate_name,         // the same name defined twice
  import_not_found,       // an import names a file or profile that does not exist
  import_cycle,           // imports form a cycle
  unknown_namespace,      // a type name uses a namespace prefix nobody declared
  unknown_repository,     // an import or artifact names an undeclared repository
  unknown_type,           // a type name that is not defined (in the expected family)
  wrong_type_family,      // e.g. a node type derived from a capability type
  derivation_cycle,       // a type derives from itself through its ancestors
  invalid_override,       // a derived type redefines a property with an incompatible type
  unknown_property,       // a template assigns a property its type does not define
  missing_property,       // a required property without default is not assigned
  type_mismatch,          // a value does not fit its declared type
  constraint_violation,   // a value breaks a constraint
  invalid_constraint,     // a constraint clause is malformed
  invalid_scalar_unit,    // "12 parsecs"
  invalid_timestamp,      // not an ISO 8601 / YAML timestamp
  invalid_version,        // not major.minor[.fix[.qualifier[-build]]]
  invalid_range,          // not [min, max] with min <= max
  unknown_input,          // a supplied input the template does not declare, or get_input of one
  missing_input,          // a required input without default was not supplied
  unknown_node_template,  // a name that is not a node template
  unknown_requirement,    // a requirement name the node type does not define
  unknown_capability,     // a capability name/type the node does not have
  unknown_interface,      // an interface the type does not define
  unknown_operation,      // an operation the interface does not define
  unknown_artifact,       // an artifact name that is not defined
  unknown_attribute,      // get_attribute of an attribute nobody defines
  invalid_occurrences,    // occurrences that are not [min, max] with 0 <= min <= max
  occurrences_violation,  // too few / too many requirement or capability uses
  unsatisfied_requirement,// no node template can fulfil a requirement
  capability_mismatch,    // the target does not offer the required capability type
  node_filter_mismatch,   // the target does not pass the requirement's node_filter
  invalid_relationship,   // relationship type not valid for the target capability, etc.
  invalid_function,       // an intrinsic function with wrong arguments or context
  dependency_cycle,       // HostedOn/DependsOn/ConnectsTo form a cycle
  invalid_target,         // a group/policy member or target of the wrong type
  invalid_substitution,   // substitution_mappings that do not fit the node type
  invalid_workflow,       // workflow steps/activities that do not make sense
  invalid_trigger,        // a policy trigger that does not make sense
  missing_artifact,       // a type that needs an artifact (iotwins Custom task) has none
  invalid_value,          // a value that is well-typed but meaningless (profile rules)
  cannot_read,            // the template file itself cannot be read
  too_many_errors,        // the error limit was reached; later problems are not listed
};

std::string_view code_name(Code code);

struct Diagnostic {
  Code code;
  std::string file;     // as given to validate(), or "<builtin:NAME>"
  int line = 0;         // 1-based; 0 when the place is unknown
  int column = 0;
  std::string path;     // e.g. topology_template.node_templates.filter.requirements[0].host
  std::string message;  // plain English, says what is wrong and what was expected

  // "file:line:col: error[code] at path: message"
  std::string to_string() const;
};

class Diagnostics {
 public:
  explicit Diagnostics(size_t limit = 1000) : limit_(limit) {}

  void add(Code code, const Mark& mark, std::string path, std::string message);
  const std::vector<Diagnostic>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  bool has(Code code) const;
  // Stable order: by file, line, column, then insertion.
  void sort();

 private:
  size_t limit_;
  bool overflowed_ = false;
  std::vector<Diagnostic> items_;
};

}  // namespace iotwins::tosca
