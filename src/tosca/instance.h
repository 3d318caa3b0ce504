// The instance model: what an orchestrator consumes. Node templates resolved into a graph
// (requirements bound to target nodes through typed relationships), inputs applied,
// functions evaluated where the template decides them, get_attribute /
// get_operation_output / get_artifact kept as expressions and evaluated at run time
// through a lookup callback, and the deployment order as topological layers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tosca/value.h"

namespace iotwins::tosca {

struct OperationInstance {
  std::string interface;             // "Standard"
  std::string interface_type;        // "tosca.interfaces.node.lifecycle.Standard"
  std::string name;                  // "create"
  std::string implementation;        // primary: an artifact name of the node, or a file
  std::string implementation_type;   // the artifact type when it names an artifact
  std::vector<std::string> dependencies;
  std::optional<int64_t> timeout;    // seconds
  std::string operation_host;
  Value inputs = Value::map();       // evaluated; deferred functions kept as expressions
  Value outputs = Value::map();      // 1.3 output mappings
  bool notification = false;
};

struct ArtifactInstance {
  std::string name;
  std::string type;
  std::vector<std::string> type_chain;
  std::string file;
  std::string repository;
  std::string repository_url;
  std::string deploy_path;
  std::string checksum;
  std::string checksum_algorithm;
  Value properties = Value::map();
};

struct RelationshipInstance {
  std::string requirement;           // the source's requirement name
  std::string target;                // target node name
  size_t target_index = 0;
  std::string capability;            // the target's capability name
  std::string type;                  // relationship type
  std::vector<std::string> type_chain;
  std::string template_name;         // a relationship template, if one was named
  Value properties = Value::map();
  std::vector<OperationInstance> operations;
  bool implicit = false;             // bound by matching, not by an assignment
};

struct NodeInstance {
  std::string name;
  std::string type;
  std::vector<std::string> type_chain;  // the type first, tosca.nodes.Root last
  std::string description;
  std::vector<std::string> directives;
  Value properties = Value::map();      // assigned or default, evaluated
  Value attributes = Value::map();      // initial values (assigned or default)
  Value capabilities = Value::map();    // capability name -> {type, properties}
  std::vector<RelationshipInstance> requirements;
  std::vector<OperationInstance> operations;
  std::vector<ArtifactInstance> artifacts;
  std::optional<size_t> host;           // the node it is HostedOn
  size_t layer = 0;                     // deployment layer (0 deploys first)
  // Paths (in properties, operation inputs) that still hold a function to evaluate at run time.
  std::vector<std::string> deferred;

  bool is_a(std::string_view type_name) const;
};

struct GroupInstance {
  std::string name;
  std::string type;
  std::vector<std::string> type_chain;
  std::vector<std::string> members;     // node templates, nested groups expanded
  Value properties = Value::map();
};

struct PolicyInstance {
  std::string name;
  std::string type;
  std::vector<std::string> type_chain;
  std::vector<std::string> targets;     // node templates, groups expanded
  Value properties = Value::map();
  Value triggers = Value::map();        // name -> trigger definition as written
};

// What a deferred function asks the run time for.
struct RuntimeRef {
  enum class Kind { attribute, operation_output, artifact_location };
  Kind kind = Kind::attribute;
  std::string node;                     // the node (or relationship source) it is about
  std::string capability;               // for a capability attribute
  std::string name;                     // attribute / output / artifact name
  std::string interface;                // operation outputs
  std::string operation;
  std::string location;                 // get_artifact location argument
};
using RuntimeLookup = std::function<std::optional<Value>(const RuntimeRef&)>;

// SELF/SOURCE/TARGET for run-time evaluation: node names (empty when not applicable).
struct EvalScope {
  std::string self;
  std::string source;
  std::string target;
};

class InstanceModel {
 public:
  std::string version;                  // tosca_simple_yaml_1_3
  std::string description;
  Value metadata = Value::map();
  Value inputs = Value::map();          // effective input values
  Value outputs = Value::map();         // name -> evaluated value or deferred expression
  std::vector<NodeInstance> nodes;      // document order
  std::vector<std::vector<size_t>> layers;  // nodes of layer k depend only on layers < k
  std::vector<GroupInstance> groups;
  std::vector<PolicyInstance> policies;
  std::vector<std::string> workflows;   // imperative workflow names

  const NodeInstance* find(std::string_view name) const;
  // Evaluates an expression (any value tree) at run time: get_attribute and friends through
  // `lookup` (falling back to the template's initial attribute values), the rest from the
  // model. An error names what could not be resolved.
  Result<Value> evaluate(const Value& expr, const EvalScope& scope, const RuntimeLookup& lookup) const;
};

}  // namespace iotwins::tosca
