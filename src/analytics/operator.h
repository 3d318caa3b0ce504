// Stream operators for DataFilter and Inference tasks. An operator consumes samples
// (twin, property, time, value) in arrival order and emits zero or more samples; a Chain runs
// them in sequence, each one's output feeding the next. Operators are built by name from a
// TOSCA property block:
//   operators: [{type: validity}, {type: deadband, properties: [temp], band: 0.5}, ...]
// Every operator takes `properties` (a name or a list; empty = every property): samples of
// other properties pass through untouched. NaN and infinite values of the selected properties
// are dropped by every operator (they would poison running state). The types, their options and their semantics are
// listed in src/analytics/README.md.
//
// Threading: an operator or chain is used by one thread at a time (it keeps per-series state);
// the registry is safe to share.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/params.h"
#include "core/registry.h"
#include "core/result.h"

namespace iotwins::analytics {

struct Sample {
  std::string twin;
  std::string property;
  int64_t ts_ns = 0;
  double value = 0;
  bool operator==(const Sample&) const = default;
};

class Operator {
 public:
  virtual ~Operator() = default;
  virtual std::string_view type() const = 0;
  // Handles one sample and appends what it emits to `out`.
  virtual void process(const Sample& in, std::vector<Sample>& out) = 0;
  // Time has reached `now_ns` with no newer sample: operators waiting for time to pass
  // (tumbling windows) emit what is complete. Others emit nothing.
  virtual void advance(int64_t /*now_ns*/, std::vector<Sample>& /*out*/) {}
};

using OperatorRegistry = FactoryRegistry<Operator, const Params&>;

// The registry with every built-in operator type registered.
OperatorRegistry& operator_registry();

class Chain {
 public:
  Chain() = default;
  explicit Chain(std::vector<std::unique_ptr<Operator>> ops) : ops_(std::move(ops)) {}

  // Builds from one Params per operator (each with a `type`); errors name the operator's
  // position and type and the offending property.
  static Result<Chain> build(const std::vector<Params>& specs,
                             const OperatorRegistry& registry = operator_registry());
  // The same from a JSON array, e.g. `[{"type":"deadband","band":0.5}]`.
  static Result<Chain> from_json(std::string_view json);

  // Runs one sample through every operator; returns what comes out of the last.
  void process(const Sample& in, std::vector<Sample>& out);
  void advance(int64_t now_ns, std::vector<Sample>& out);
  size_t size() const { return ops_.size(); }

 private:
  // Feeds `batch` to operators [from, end), with `advance` semantics when now_ns is given.
  void run_from(size_t from, std::vector<Sample>& batch, std::vector<Sample>& out);

  std::vector<std::unique_ptr<Operator>> ops_;
  std::vector<Sample> scratch_a_, scratch_b_;
};

}  // namespace iotwins::analytics
