// The parsed form of TOSCA type definitions (every family) and the parts they share:
// property/attribute/parameter definitions, constraints, capability/requirement/interface/
// artifact definitions. Plain data; parse_*.cc fills it, validate_*.cc checks it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tosca/value.h"

namespace iotwins::tosca {

enum class Family { node, capability, relationship, interface, data, artifact, policy, group };
std::string_view family_name(Family f);          // "node type"
std::string_view family_section(Family f);       // "node_types"

enum class ConstraintOp {
  equal, greater_than, greater_or_equal, less_than, less_or_equal, in_range, valid_values,
  length, min_length, max_length, pattern, schema,
};
std::string_view constraint_op_name(ConstraintOp op);

struct Constraint {
  ConstraintOp op = ConstraintOp::equal;
  Value arg;
  Mark mark;
  std::string path;
};

struct Schema {
  std::string type;
  Mark type_mark;
  std::string description;
  std::vector<Constraint> constraints;
  std::shared_ptr<Schema> key_schema;
  std::shared_ptr<Schema> entry_schema;
};

// A property, attribute or parameter (input/output) definition.
struct PropertyDef {
  std::string name;
  Schema schema;
  bool required = true;
  bool required_given = false;
  std::optional<Value> default_value;
  std::optional<Value> value;  // parameters (inputs/outputs) may carry a value
  std::string status;          // supported | unsupported | experimental | deprecated
  Value metadata;
  Mark mark;
  std::string path;
};
using PropertyDefs = std::map<std::string, PropertyDef>;

struct Occurrences {
  int64_t min = 1;
  int64_t max = 1;  // kUnbounded for UNBOUNDED
  bool given = false;
  Mark mark;
  static constexpr int64_t kUnbounded = INT64_MAX;
};

struct Implementation {
  std::string primary;                 // artifact name or file
  Value primary_artifact;              // an inline artifact definition (1.3), else null
  std::vector<std::string> dependencies;
  std::optional<int64_t> timeout;      // seconds
  std::string operation_host;          // SELF | HOST | SOURCE | TARGET | ORCHESTRATOR
  bool given = false;
  Mark mark;
};

// An operation or notification definition, in a type or a template.
struct OperationDef {
  std::string name;
  std::string description;
  Implementation implementation;
  PropertyDefs input_defs;  // typed parameter definitions (types)
  Value inputs;             // assignments (templates, and untyped values in types)
  Value outputs;            // 1.3: output name -> attribute mapping [SELF, attr]
  Mark mark;
  std::string path;
};

struct InterfaceDef {
  std::string name;
  std::string type;
  Mark type_mark;
  PropertyDefs input_defs;
  Value inputs;
  std::map<std::string, OperationDef> operations;
  std::map<std::string, OperationDef> notifications;
  Mark mark;
  std::string path;
};
using InterfaceDefs = std::map<std::string, InterfaceDef>;

struct ArtifactDef {
  std::string name;
  std::string type;
  Mark type_mark;
  std::string file;
  std::string repository;
  std::string description;
  std::string deploy_path;
  std::string artifact_version;
  std::string checksum;
  std::string checksum_algorithm;
  Value properties;
  Mark mark;
  std::string path;
};
using ArtifactDefs = std::map<std::string, ArtifactDef>;

struct CapabilityDef {
  std::string name;
  std::string type;
  Mark type_mark;
  std::string description;
  PropertyDefs properties;
  PropertyDefs attributes;
  std::vector<std::string> valid_source_types;
  Occurrences occurrences{1, Occurrences::kUnbounded};
  Mark mark;
  std::string path;
};

struct RequirementDef {
  std::string name;
  std::string capability;
  Mark capability_mark;
  std::string node;
  Mark node_mark;
  std::string relationship;
  Mark relationship_mark;
  InterfaceDefs relationship_interfaces;
  Value node_filter;
  Occurrences occurrences;  // default [1, 1]
  Mark mark;
  std::string path;
};

// One type of any family. Fields a family does not use stay empty.
struct TypeDef {
  Family family = Family::node;
  std::string name;
  std::string derived_from;
  Mark derived_mark;
  std::string version;
  std::string description;
  Value metadata;
  Mark mark;
  std::string path;
  bool builtin = false;     // from a built-in profile
  bool primitive = false;   // string, integer, ... (data family only)

  PropertyDefs properties;
  PropertyDefs attributes;
  std::map<std::string, CapabilityDef> capabilities;
  std::vector<RequirementDef> requirements;
  InterfaceDefs interfaces;
  ArtifactDefs artifacts;

  // data types
  std::vector<Constraint> constraints;
  std::shared_ptr<Schema> key_schema;
  std::shared_ptr<Schema> entry_schema;
  // capability and relationship types
  std::vector<std::string> valid_source_types;
  std::vector<std::string> valid_target_types;
  // artifact types
  std::string mime_type;
  std::vector<std::string> file_ext;
  // group and policy types
  std::vector<std::string> members;
  std::vector<std::string> targets;
  Value triggers;
  // interface types
  PropertyDefs inputs;
  std::map<std::string, OperationDef> operations;
  std::map<std::string, OperationDef> notifications;
};

}  // namespace iotwins::tosca
