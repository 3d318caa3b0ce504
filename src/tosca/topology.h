// The parsed form of a service template file: header (version, imports, repositories,
// metadata), its type definitions, and its topology template (node templates, relationship
// templates, groups, policies, inputs/outputs, substitution mappings, workflows).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tosca/definitions.h"

namespace iotwins::tosca {

enum class ToscaVersion { v1_0, v1_1, v1_2, v1_3 };
std::string_view version_name(ToscaVersion v);  // "tosca_simple_yaml_1_3"

struct RequirementAssignment {
  std::string name;
  std::string node;              // a node template or a node type
  Mark node_mark;
  std::string capability;        // a capability name or type
  Mark capability_mark;
  std::string relationship;      // a relationship template or type
  Mark relationship_mark;
  Value relationship_properties;
  InterfaceDefs relationship_interfaces;
  Value node_filter;
  Occurrences occurrences;
  Mark mark;
  std::string path;
};

struct CapabilityAssignment {
  std::string name;
  Value properties;
  Value attributes;
  Occurrences occurrences;
  Mark mark;
  std::string path;
};

struct NodeTemplate {
  std::string name;
  std::string type;
  Mark type_mark;
  std::string description;
  std::vector<std::string> directives;
  Value metadata;
  Value properties;  // map
  Value attributes;  // map
  std::vector<RequirementAssignment> requirements;
  std::map<std::string, CapabilityAssignment> capabilities;
  InterfaceDefs interfaces;
  ArtifactDefs artifacts;
  Value node_filter;
  std::string copy;
  Mark mark;
  std::string path;
};

struct RelationshipTemplate {
  std::string name;
  std::string type;
  Mark type_mark;
  std::string description;
  Value metadata;
  Value properties;
  Value attributes;
  InterfaceDefs interfaces;
  std::string copy;
  Mark mark;
  std::string path;
};

struct NamedRef {
  std::string name;
  Mark mark;
  std::string path;
};

struct GroupDef {
  std::string name;
  std::string type;
  Mark type_mark;
  std::string description;
  Value metadata;
  Value properties;
  std::vector<NamedRef> members;
  InterfaceDefs interfaces;  // 1.0 groups had interfaces
  Mark mark;
  std::string path;
};

struct TriggerDef {
  std::string name;
  std::string description;
  std::string event;
  Value schedule;
  Value target_filter;
  Value condition;
  Value action;
  Mark mark;
  std::string path;
};

struct PolicyDef {
  std::string name;
  std::string type;
  Mark type_mark;
  std::string description;
  Value metadata;
  Value properties;
  std::vector<NamedRef> targets;
  std::vector<TriggerDef> triggers;
  Mark mark;
  std::string path;
};

struct ActivityDef {
  enum class Kind { delegate, set_state, call_operation, inline_workflow };
  Kind kind = Kind::delegate;
  std::string arg;  // workflow name, state, "Interface.operation"
  Value inputs;
  Mark mark;
  std::string path;
};

struct StepDef {
  std::string name;
  std::string target;
  Mark target_mark;
  std::string target_relationship;
  std::string operation_host;
  Value filter;
  std::vector<ActivityDef> activities;
  std::vector<NamedRef> on_success;
  std::vector<NamedRef> on_failure;
  Mark mark;
  std::string path;
};

struct WorkflowDef {
  std::string name;
  std::string description;
  Value metadata;
  PropertyDefs inputs;
  Value preconditions;
  std::vector<StepDef> steps;
  Value implementation;
  Value outputs;
  Mark mark;
  std::string path;
};

struct SubstitutionMappings {
  bool present = false;
  std::string node_type;
  Mark node_type_mark;
  Value substitution_filter;
  Value properties;
  Value attributes;
  Value capabilities;
  Value requirements;
  Value interfaces;
  Mark mark;
  std::string path;
};

struct TopologyTemplate {
  bool present = false;
  std::string description;
  PropertyDefs inputs;
  std::vector<NodeTemplate> node_templates;
  std::vector<RelationshipTemplate> relationship_templates;
  std::vector<GroupDef> groups;
  std::vector<PolicyDef> policies;
  PropertyDefs outputs;
  SubstitutionMappings substitution;
  std::vector<WorkflowDef> workflows;
  Mark mark;
};

struct ImportDef {
  std::string file;
  std::string repository;
  std::string namespace_prefix;
  std::string namespace_uri;
  Mark mark;
  std::string path;
};

struct RepositoryDef {
  std::string name;
  std::string description;
  std::string url;
  Value credential;
  Mark mark;
};

struct ServiceFile {
  std::string file;  // path as loaded, or "<builtin:NAME>"
  ToscaVersion version = ToscaVersion::v1_3;
  std::string namespace_uri;
  std::string description;
  Value metadata;
  std::vector<ImportDef> imports;
  std::map<std::string, RepositoryDef> repositories;
  std::vector<TypeDef> types;
  TopologyTemplate topology;
};

}  // namespace iotwins::tosca
