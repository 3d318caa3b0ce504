#include "analytics/operator.h"

#include "analytics/ops_common.h"

namespace iotwins::analytics {

OperatorRegistry& operator_registry() {
  static OperatorRegistry* registry = [] {
    auto* r = new OperatorRegistry();
    ops::register_filters(*r);
    ops::register_smoothers(*r);
    ops::register_windows(*r);
    ops::register_derivations(*r);
    return r;
  }();
  return *registry;
}

Result<Chain> Chain::build(const std::vector<Params>& specs, const OperatorRegistry& registry) {
  std::vector<std::unique_ptr<Operator>> ops;
  for (size_t i = 0; i < specs.size(); ++i) {
    Params p = specs[i];
    const std::string where = "operator #" + std::to_string(i + 1);
    p.set_where(where);
    IOT_ASSIGN(std::string type, p.string("type"));
    p.set_where(where + " '" + type + "'");
    auto op = registry.create(type, p);
    if (!op) return std::unexpected(std::move(op.error()).context(where));
    ops.push_back(std::move(*op));
  }
  return Chain(std::move(ops));
}

Result<Chain> Chain::from_json(std::string_view json) {
  IOT_ASSIGN(std::vector<Params> specs, Params::list_from_json(json));
  return build(specs);
}

void Chain::run_from(size_t from, std::vector<Sample>& batch, std::vector<Sample>& out) {
  for (size_t i = from; i < ops_.size() && !batch.empty(); ++i) {
    scratch_b_.clear();
    for (const Sample& s : batch) ops_[i]->process(s, scratch_b_);
    batch.swap(scratch_b_);
  }
  out.insert(out.end(), batch.begin(), batch.end());
}

void Chain::process(const Sample& in, std::vector<Sample>& out) {
  scratch_a_.clear();
  scratch_a_.push_back(in);
  run_from(0, scratch_a_, out);
}

void Chain::advance(int64_t now_ns, std::vector<Sample>& out) {
  // What operator i releases because time passed still goes through operators i+1...
  std::vector<Sample> released;
  for (size_t i = 0; i < ops_.size(); ++i) {
    released.clear();
    ops_[i]->advance(now_ns, released);
    if (!released.empty()) run_from(i + 1, released, out);
  }
}

}  // namespace iotwins::analytics
