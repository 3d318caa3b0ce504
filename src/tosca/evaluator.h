// Evaluates intrinsic functions over an InstanceModel. Without a run-time lookup it is the
// static pass of the build: what only the run time knows (get_attribute,
// get_operation_output, get_artifact, and any expression using them) stays an expression.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "tosca/instance.h"

namespace iotwins::tosca {

struct Scope {
  std::optional<size_t> self;
  std::optional<size_t> source;
  std::optional<size_t> target;
  const Value* relationship_properties = nullptr;  // SELF inside a relationship
};

class Evaluator {
 public:
  Evaluator(const InstanceModel& model, const RuntimeLookup* lookup) : model_(model), lookup_(lookup) {}

  // The tree with every function it can decide replaced by its value. Paths of expressions
  // left for run time are appended to `deferred` (static mode); in run-time mode anything
  // unresolved is an error.
  Result<Value> tree(const Value& v, const Scope& scope, std::vector<std::string>* deferred, const std::string& path,
                     int depth = 0);

 private:
  // nullopt: must wait for run time.
  Result<std::optional<Value>> call(const Value& fn, const Scope& scope, int depth);
  Result<std::optional<Value>> property(const Value::List& args, const Scope& scope, bool attribute, int depth);
  Result<std::vector<size_t>> entity(const Value& name, const Scope& scope) const;
  Result<Value> walk(Value v, const Value::List& args, size_t from) const;

  const InstanceModel& model_;
  const RuntimeLookup* lookup_;
};

}  // namespace iotwins::tosca
