// TypeRegistry: every type visible to a service template (built-in profiles, imports, the
// file itself), found by full name, namespace-prefixed name, TOSCA short name (`Compute`,
// `tosca:Compute`) or 1.0 alias, with derivation chains and inherited definitions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tosca/definitions.h"
#include "tosca/diagnostics.h"

namespace iotwins::tosca {

class TypeRegistry {
 public:
  TypeRegistry();  // with the primitive data types

  // Adds a type definition (which must outlive the registry); reports a duplicate name.
  void add(const TypeDef& type, Diagnostics& diag);
  // `alias` names the type `target` of the family (1.0 names, namespace prefixes).
  void add_alias(Family family, std::string alias, std::string target);

  const TypeDef* find(Family family, std::string_view name) const;
  // The family a name belongs to, when it names a type of any family (for messages).
  const TypeDef* find_any(std::string_view name) const;

  // The type and its ancestors, nearest first. A broken or cyclic chain is cut where it breaks.
  const std::vector<const TypeDef*>& chain(const TypeDef* type) const;
  // Whether `type` is `ancestor` or derives from it (names resolved in the type's family).
  bool is_a(const TypeDef* type, std::string_view ancestor) const;
  bool is_a(Family family, std::string_view type, std::string_view ancestor) const;
  // The primitive a data type ends in ("integer" for PortDef), or nullptr for complex types.
  const TypeDef* primitive_of(const TypeDef* data_type) const;

  // Definitions including inherited ones; a derived type's definition of a name wins.
  const PropertyDefs& properties(const TypeDef* type) const;
  const PropertyDefs& attributes(const TypeDef* type) const;
  const std::map<std::string, CapabilityDef>& capabilities(const TypeDef* type) const;
  const std::vector<RequirementDef>& requirements(const TypeDef* type) const;
  const InterfaceDefs& interfaces(const TypeDef* type) const;  // operations merged
  const ArtifactDefs& artifacts(const TypeDef* type) const;
  // Operations of an interface type, inherited included.
  const std::map<std::string, OperationDef>& operations(const TypeDef* interface_type) const;
  const std::map<std::string, OperationDef>& notifications(const TypeDef* interface_type) const;

  // All types of a family, by canonical name.
  const std::map<std::string, const TypeDef*, std::less<>>& all(Family family) const { return types_[index(family)]; }

 private:
  struct Effective {
    PropertyDefs properties, attributes;
    std::map<std::string, CapabilityDef> capabilities;
    std::vector<RequirementDef> requirements;
    InterfaceDefs interfaces;
    ArtifactDefs artifacts;
    std::map<std::string, OperationDef> operations, notifications;
  };
  static size_t index(Family f) { return static_cast<size_t>(f); }
  const Effective& effective(const TypeDef* type) const;

  std::vector<TypeDef> primitives_;
  std::map<std::string, const TypeDef*, std::less<>> types_[8];
  std::map<std::string, std::string, std::less<>> aliases_[8];
  mutable std::unordered_map<const TypeDef*, Effective> effective_;
  mutable std::unordered_map<const TypeDef*, std::vector<const TypeDef*>> chains_;
  std::vector<const TypeDef*> empty_chain_;
};

// Canonical names of the families' roots: tosca.nodes.Root, ...
std::string_view family_root(Family f);

}  // namespace iotwins::tosca
