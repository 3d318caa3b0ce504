// Grammar layer: turns a Value tree into definitions and templates, reporting unknown or
// missing keynames and wrong shapes. It checks the shape of one file only; names, types and
// values are checked later against the whole import graph (validate_*.cc).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "tosca/diagnostics.h"
#include "tosca/topology.h"

namespace iotwins::tosca {

enum class DefKind { property, attribute, parameter };

class Parser {
 public:
  Parser(Diagnostics& diag, ToscaVersion version) : diag_(diag), version_(version) {}

  // Parses a whole service template file; `root` is the document.
  ServiceFile parse_service(Value& root, const std::string& file);  // moves node template values out

  // -- shared helpers (parse_common.cc) --
  void error(Code code, const Mark& mark, const std::string& path, std::string message) {
    diag_.add(code, mark, path, std::move(message));
  }
  bool expect_map(const Value& v, const std::string& path, std::string_view what);
  bool expect_list(const Value& v, const std::string& path, std::string_view what);
  void check_keys(const Value& map, std::initializer_list<std::string_view> allowed,
                  const std::string& path, std::string_view what);
  // A string scalar under `key` (numbers are taken as their source text). "" when absent.
  std::string get_string(const Value& map, std::string_view key, const std::string& path,
                         std::string_view what, bool required = false, Mark* mark = nullptr);
  std::string as_text(const Value& v, const std::string& path, std::string_view what);
  std::vector<std::string> get_string_list(const Value& map, std::string_view key, const std::string& path);
  std::vector<NamedRef> get_ref_list(const Value& map, std::string_view key, const std::string& path);
  bool get_bool(const Value& map, std::string_view key, const std::string& path, bool fallback, bool* given = nullptr);
  PropertyDefs parse_property_defs(const Value& v, const std::string& path, DefKind kind);
  PropertyDef parse_property_def(const std::string& name, const Value& v, const std::string& path, DefKind kind);
  Schema parse_schema(const Value& v, const std::string& path);
  std::vector<Constraint> parse_constraints(const Value& v, const std::string& path);
  Occurrences parse_occurrences(const Value& v, const std::string& path, Occurrences fallback);
  // A list of single-key maps, as used by requirements, policies, constraints, activities.
  // Calls fn(name, value, item_path) for each well-formed item.
  template <class Fn>
  void for_each_single_key(const Value& list, const std::string& path, std::string_view what, Fn&& fn);

  // -- type definitions (parse_types.cc) --
  TypeDef parse_type(Family family, const std::string& name, const Value& v, const std::string& path);
  CapabilityDef parse_capability_def(const std::string& name, const Value& v, const std::string& path);
  RequirementDef parse_requirement_def(const std::string& name, const Value& v, const std::string& path);
  InterfaceDef parse_interface(const std::string& name, const Value& v, const std::string& path, bool in_template);
  InterfaceDefs parse_interfaces(const Value& v, const std::string& path, bool in_template);
  OperationDef parse_operation(const std::string& name, const Value& v, const std::string& path,
                               bool in_template, bool notification);
  Implementation parse_implementation(const Value& v, const std::string& path);
  ArtifactDef parse_artifact(const std::string& name, const Value& v, const std::string& path);
  ArtifactDefs parse_artifacts(const Value& v, const std::string& path);

  // -- topology template (parse_topology.cc) --
  TopologyTemplate parse_topology(Value& v, const std::string& path);
  NodeTemplate parse_node_template(const std::string& name, Value& v, const std::string& path);
  RequirementAssignment parse_requirement_assignment(const std::string& name, const Value& v, const std::string& path);
  RelationshipTemplate parse_relationship_template(const std::string& name, const Value& v, const std::string& path);
  GroupDef parse_group(const std::string& name, const Value& v, const std::string& path);
  PolicyDef parse_policy(const std::string& name, const Value& v, const std::string& path);
  SubstitutionMappings parse_substitution(const Value& v, const std::string& path);
  void resolve_copies(TopologyTemplate& t);

  // -- workflows and triggers (parse_workflows.cc) --
  WorkflowDef parse_workflow(const std::string& name, const Value& v, const std::string& path);
  StepDef parse_step(const std::string& name, const Value& v, const std::string& path);
  TriggerDef parse_trigger(const std::string& name, const Value& v, const std::string& path);

  ToscaVersion version() const { return version_; }
  Diagnostics& diag() { return diag_; }

 private:
  Diagnostics& diag_;
  ToscaVersion version_;
};

template <class Fn>
void Parser::for_each_single_key(const Value& list, const std::string& path, std::string_view what, Fn&& fn) {
  if (list.is_null()) return;
  if (!expect_list(list, path, what)) return;
  size_t i = 0;
  for (const auto& item : list.as_list()) {
    std::string item_path = index_path(path, i++);
    if (!item.is_map() || item.as_map().size() != 1) {
      error(Code::wrong_kind, item.mark(), item_path,
            std::string(what) + " entries are single-key maps (`- name: ...`), found " +
                (item.is_map() ? "a map with " + std::to_string(item.as_map().size()) + " keys"
                               : std::string(kind_name(item.kind()))));
      continue;
    }
    const auto& [name, value] = item.as_map().front();
    fn(name, value, child_path(item_path, name), item);
  }
}

}  // namespace iotwins::tosca
