// Validator: the semantic checks of one loaded service template against its TypeRegistry.
// Each concern lives in its own validate_*.cc; they share this class and the Resolved
// topology it builds (node types, requirement links, input values), which the instance
// model is then built from.
#pragma once

#include <map>
#include <regex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tosca/diagnostics.h"
#include "tosca/functions.h"
#include "tosca/loader.h"

namespace iotwins::tosca {

// A requirement of a source node bound to a target node's capability.
struct Link {
  size_t source = 0;
  std::string requirement;
  size_t target = 0;
  std::string capability;                              // the target's capability name
  const TypeDef* relationship_type = nullptr;
  const RelationshipTemplate* relationship_template = nullptr;
  Value properties;                                    // relationship property assignments
  InterfaceDefs interfaces;                            // relationship interface assignments
  bool implicit = false;                               // fulfilled without an assignment
  Mark mark;
  std::string path;
};

struct Resolved {
  std::vector<const TypeDef*> node_types;              // per node template (null if unknown)
  std::unordered_map<std::string, size_t> node_index;  // name -> index in node_templates
  std::vector<std::vector<Link>> links;                // per source node template
  Value inputs = Value::map();                         // effective input values (given or default)
  std::map<std::string, const TypeDef*> relationship_template_types;
  std::map<std::string, const GroupDef*> groups;
};

// Where a function is evaluated, for SELF/SOURCE/TARGET/HOST.
struct FnContext {
  const NodeTemplate* self = nullptr;
  const Link* link = nullptr;  // inside a relationship: SOURCE and TARGET
  bool in_output = false;      // topology outputs: only named entities
};

// Whether a relationship orders deployment (target before source): HostedOn, DependsOn,
// ConnectsTo, AttachesTo and everything derived from them.
bool is_ordering_relationship(const TypeRegistry& reg, const TypeDef* rel);

class Validator {
 public:
  Validator(const LoadedTemplate& loaded, Diagnostics& diag, const Value& inputs);

  // Runs every check; returns the resolved topology (valid as far as the checks passed).
  Resolved run();

  // -- validate_types.cc --
  void check_type_definitions(const ServiceFile& file);
  void check_property_defs(const PropertyDefs& defs, bool attributes);
  void check_schema(const Schema& s, const Mark& fallback, const std::string& path);
  void check_constraint_args(const std::vector<Constraint>& cs, const TypeDef* type, const std::string& path);

  // -- type_check.cc --
  const TypeDef* data_type(const std::string& name) const { return reg_.find(Family::data, name); }
  // Checks a value against a schema, reporting at the value's mark. Functions are skipped.
  void check_value(const Value& v, const Schema& s, const std::string& path, const std::string& what);
  // Checks a map of assignments against definitions: unknown names, missing required ones.
  void check_assignments(const Value& values, const PropertyDefs& defs, const Mark& owner_mark,
                         const std::string& path, const std::string& owner, bool attributes);
  // nullptr if the value passes, else a description of the failure.
  std::optional<std::string> constraint_failure(const Constraint& c, const Value& v, const TypeDef* primitive);

  // -- validate_inputs.cc --
  void check_inputs();

  // -- validate_nodes.cc --
  void check_node_templates();
  void check_interfaces(const InterfaceDefs& assigned, const InterfaceDefs& defined, const std::string& owner,
                        const FnContext& ctx);
  void check_artifact(const ArtifactDef& a, const std::map<std::string, RepositoryDef>& repos);

  // -- validate_requirements.cc --
  void match_requirements();
  bool passes_node_filter(const Value& filter, size_t target, std::string* why);

  // -- validate_functions.cc --
  void check_functions(const Value& v, const FnContext& ctx, const std::string& path);

  // -- validate_topology.cc --
  void check_relationship_templates();
  void check_groups();
  void check_policies();
  void check_outputs();
  void check_substitution();
  void check_dependency_cycles();
  void check_all_functions();

  // -- validate_workflows.cc --
  void check_workflows();

  // -- validate_iotwins.cc --
  void check_iotwins_rules();

  const NodeTemplate* node(const std::string& name) const;
  const TypeDef* node_type(const NodeTemplate& n) const;
  const TypeRegistry& registry() const { return reg_; }
  const TopologyTemplate& topology() const { return main_.topology; }
  void error(Code code, const Mark& mark, const std::string& path, std::string message) {
    diag_.add(code, mark, path, std::move(message));
  }
  // Resolves a type name in a family, reporting unknown_type / wrong_type_family at mark.
  const TypeDef* require_type(Family family, const std::string& name, const Mark& mark, const std::string& path,
                              const std::string& what);

 private:
  const LoadedTemplate& loaded_;
  const ServiceFile& main_;
  const TypeRegistry& reg_;
  Diagnostics& diag_;
  const Value& given_inputs_;
  Resolved r_;
  std::unordered_map<std::string, std::regex> regex_cache_;
};

}  // namespace iotwins::tosca
