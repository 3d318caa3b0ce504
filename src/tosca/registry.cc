#include "tosca/registry.h"

#include <algorithm>
#include <unordered_set>

namespace iotwins::tosca {

namespace {

constexpr std::string_view kPrimitives[] = {
    "string", "integer", "float", "boolean", "timestamp", "null", "version", "range", "list", "map",
    "scalar-unit.size", "scalar-unit.time", "scalar-unit.frequency", "scalar-unit.bitrate",
};

std::string_view family_namespace(Family f) {
  switch (f) {
    case Family::node: return "tosca.nodes.";
    case Family::capability: return "tosca.capabilities.";
    case Family::relationship: return "tosca.relationships.";
    case Family::interface: return "tosca.interfaces.";
    case Family::data: return "tosca.datatypes.";
    case Family::artifact: return "tosca.artifacts.";
    case Family::policy: return "tosca.policies.";
    case Family::group: return "tosca.groups.";
  }
  return "";
}

}  // namespace

std::string_view family_root(Family f) {
  switch (f) {
    case Family::node: return "tosca.nodes.Root";
    case Family::capability: return "tosca.capabilities.Root";
    case Family::relationship: return "tosca.relationships.Root";
    case Family::interface: return "tosca.interfaces.Root";
    case Family::data: return "tosca.datatypes.Root";
    case Family::artifact: return "tosca.artifacts.Root";
    case Family::policy: return "tosca.policies.Root";
    case Family::group: return "tosca.groups.Root";
  }
  return "";
}

TypeRegistry::TypeRegistry() {
  primitives_.reserve(std::size(kPrimitives));
  for (auto name : kPrimitives) {
    TypeDef t;
    t.family = Family::data;
    t.name = std::string(name);
    t.builtin = true;
    t.primitive = true;
    primitives_.push_back(std::move(t));
  }
  for (const auto& t : primitives_) types_[index(Family::data)].emplace(t.name, &t);
  // Names the 1.0/1.1 profiles used for types 1.2/1.3 renamed, and interface short names.
  add_alias(Family::node, "tosca.nodes.BlockStorage", "tosca.nodes.Storage.BlockStorage");
  add_alias(Family::node, "tosca.nodes.ObjectStorage", "tosca.nodes.Storage.ObjectStorage");
  add_alias(Family::node, "BlockStorage", "tosca.nodes.Storage.BlockStorage");
  add_alias(Family::node, "ObjectStorage", "tosca.nodes.Storage.ObjectStorage");
  add_alias(Family::interface, "Standard", "tosca.interfaces.node.lifecycle.Standard");
  add_alias(Family::interface, "tosca:Standard", "tosca.interfaces.node.lifecycle.Standard");
  add_alias(Family::interface, "tosca.interfaces.node.Lifecycle", "tosca.interfaces.node.lifecycle.Standard");
  add_alias(Family::interface, "Configure", "tosca.interfaces.relationship.Configure");
  add_alias(Family::interface, "tosca:Configure", "tosca.interfaces.relationship.Configure");
  add_alias(Family::data, "tosca:json", "tosca.datatypes.json");
  add_alias(Family::data, "tosca:xml", "tosca.datatypes.xml");
}

void TypeRegistry::add(const TypeDef& type, Diagnostics& diag) {
  auto& table = types_[index(type.family)];
  auto [it, inserted] = table.emplace(type.name, &type);
  if (!inserted && it->second != &type) {
    const TypeDef* prev = it->second;
    std::string where = prev->mark.file ? std::string(prev->mark.file_name()) + ":" + std::to_string(prev->mark.line)
                                        : std::string("the built-in types");
    diag.add(Code::duplicate_name, type.mark, type.path,
             std::string(family_name(type.family)) + " `" + type.name + "` is already defined at " + where);
  }
}

void TypeRegistry::add_alias(Family family, std::string alias, std::string target) {
  aliases_[index(family)].emplace(std::move(alias), std::move(target));
}

const TypeDef* TypeRegistry::find(Family family, std::string_view name) const {
  const auto& table = types_[index(family)];
  if (auto it = table.find(name); it != table.end()) return it->second;
  const auto& aliases = aliases_[index(family)];
  if (auto a = aliases.find(name); a != aliases.end()) {
    if (auto it = table.find(a->second); it != table.end()) return it->second;
  }
  // TOSCA short and prefixed names of normative types: Compute, tosca:Compute.
  std::string_view shortname = name;
  if (shortname.starts_with("tosca:")) shortname.remove_prefix(6);
  if (shortname.find(':') != std::string_view::npos) return nullptr;
  if (family == Family::data && shortname != name) {
    if (auto it = table.find(std::string(shortname)); it != table.end()) return it->second;  // tosca:string
  }
  std::string full = std::string(family_namespace(family)) + std::string(shortname);
  if (auto it = table.find(full); it != table.end()) return it->second;
  return nullptr;
}

const TypeDef* TypeRegistry::find_any(std::string_view name) const {
  for (size_t f = 0; f < 8; ++f)
    if (const TypeDef* t = find(static_cast<Family>(f), name)) return t;
  return nullptr;
}

const std::vector<const TypeDef*>& TypeRegistry::chain(const TypeDef* type) const {
  if (type == nullptr) return empty_chain_;
  if (auto it = chains_.find(type); it != chains_.end()) return it->second;
  const TypeDef* first = type;
  std::vector<const TypeDef*> out;
  while (type != nullptr) {
    if (std::find(out.begin(), out.end(), type) != out.end()) break;  // a cycle, reported elsewhere
    out.push_back(type);
    if (type->derived_from.empty()) break;
    type = find(type->family, type->derived_from);
  }
  return chains_.emplace(first, std::move(out)).first->second;
}

bool TypeRegistry::is_a(const TypeDef* type, std::string_view ancestor) const {
  if (type == nullptr) return false;
  const TypeDef* target = find(type->family, ancestor);
  if (target == nullptr) return false;
  for (const TypeDef* t : chain(type))
    if (t == target) return true;
  return false;
}

bool TypeRegistry::is_a(Family family, std::string_view type, std::string_view ancestor) const {
  return is_a(find(family, type), ancestor);
}

const TypeDef* TypeRegistry::primitive_of(const TypeDef* data_type) const {
  for (const TypeDef* t : chain(data_type))
    if (t->primitive) return t;
  return nullptr;
}

const TypeRegistry::Effective& TypeRegistry::effective(const TypeDef* type) const {
  if (auto it = effective_.find(type); it != effective_.end()) return it->second;
  Effective e;
  auto types = chain(type);
  // Root first, so nearer definitions overwrite farther ones.
  for (auto it = types.rbegin(); it != types.rend(); ++it) {
    const TypeDef* t = *it;
    for (const auto& [n, p] : t->properties) e.properties.insert_or_assign(n, p);
    for (const auto& [n, a] : t->attributes) e.attributes.insert_or_assign(n, a);
    for (const auto& [n, c] : t->capabilities) e.capabilities.insert_or_assign(n, c);
    for (const auto& r : t->requirements) {
      auto same = std::find_if(e.requirements.begin(), e.requirements.end(),
                               [&](const RequirementDef& x) { return x.name == r.name; });
      if (same != e.requirements.end()) *same = r;
      else e.requirements.push_back(r);
    }
    for (const auto& [n, i] : t->interfaces) {
      auto [slot, inserted] = e.interfaces.try_emplace(n, i);
      if (!inserted) {
        InterfaceDef merged = i;
        if (merged.type.empty()) merged.type = slot->second.type;
        for (const auto& [on, op] : slot->second.operations) merged.operations.try_emplace(on, op);
        for (const auto& [nn, nt] : slot->second.notifications) merged.notifications.try_emplace(nn, nt);
        for (const auto& [in, idef] : slot->second.input_defs) merged.input_defs.try_emplace(in, idef);
        slot->second = std::move(merged);
      }
    }
    for (const auto& [n, a] : t->artifacts) e.artifacts.insert_or_assign(n, a);
    for (const auto& [n, o] : t->operations) e.operations.insert_or_assign(n, o);
    for (const auto& [n, o] : t->notifications) e.notifications.insert_or_assign(n, o);
  }
  return effective_.emplace(type, std::move(e)).first->second;
}

const PropertyDefs& TypeRegistry::properties(const TypeDef* t) const { return effective(t).properties; }
const PropertyDefs& TypeRegistry::attributes(const TypeDef* t) const { return effective(t).attributes; }
const std::map<std::string, CapabilityDef>& TypeRegistry::capabilities(const TypeDef* t) const {
  return effective(t).capabilities;
}
const std::vector<RequirementDef>& TypeRegistry::requirements(const TypeDef* t) const { return effective(t).requirements; }
const InterfaceDefs& TypeRegistry::interfaces(const TypeDef* t) const { return effective(t).interfaces; }
const ArtifactDefs& TypeRegistry::artifacts(const TypeDef* t) const { return effective(t).artifacts; }
const std::map<std::string, OperationDef>& TypeRegistry::operations(const TypeDef* t) const {
  return effective(t).operations;
}
const std::map<std::string, OperationDef>& TypeRegistry::notifications(const TypeDef* t) const {
  return effective(t).notifications;
}

}  // namespace iotwins::tosca
