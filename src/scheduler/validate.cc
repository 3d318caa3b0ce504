#include "scheduler/validate.h"

#include <cmath>
#include <string>
#include <unordered_map>

namespace iotwins::scheduler {
namespace {

constexpr size_t kMaxName = 253;

Status check_requirements(const std::vector<LabelRequirement>& requirements, const std::string& where) {
  for (size_t i = 0; i < requirements.size(); ++i) {
    const LabelRequirement& r = requirements[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (r.key.empty() || r.key.size() > kMaxName) {
      return make_error(Errc::invalid_argument, at + ": key must be 1.." + std::to_string(kMaxName) + " characters");
    }
    const size_t n = r.values.size();
    switch (r.op) {
      case LabelRequirement::Op::eq:
      case LabelRequirement::Op::ne:
        if (n != 1) return make_error(Errc::invalid_argument, at + ": = and != take exactly one value");
        break;
      case LabelRequirement::Op::in:
      case LabelRequirement::Op::not_in:
        if (n == 0) return make_error(Errc::invalid_argument, at + ": in and notin take at least one value");
        break;
      case LabelRequirement::Op::exists:
      case LabelRequirement::Op::not_exists:
        if (n != 0) return make_error(Errc::invalid_argument, at + ": exists and !exists take no value");
        break;
    }
  }
  return ok();
}

Status check(const PlacementRequest& r) {
  if (r.id.empty() || r.id.size() > kMaxName) {
    return make_error(Errc::invalid_argument, "id must be 1.." + std::to_string(kMaxName) + " characters");
  }
  if (r.resources.cpu_millis < 0) return make_error(Errc::invalid_argument, "resources.cpu is negative");
  if (r.resources.memory_bytes < 0) return make_error(Errc::invalid_argument, "resources.memory is negative");
  if (r.resources.gpus < 0) return make_error(Errc::invalid_argument, "resources.gpus is negative");
  IOT_TRY(check_requirements(r.selector, "selector"));
  for (size_t i = 0; i < r.drivers.size(); ++i) {
    if (r.drivers[i].empty()) {
      return make_error(Errc::invalid_argument, "drivers[" + std::to_string(i) + "]: empty driver name");
    }
  }
  for (size_t i = 0; i < r.affinity.size(); ++i) {
    const AffinityTerm& t = r.affinity[i];
    const std::string at = "affinity[" + std::to_string(i) + "]";
    if (t.tasks.deployment.empty() && t.tasks.group.empty() && t.tasks.labels.empty()) {
      return make_error(Errc::invalid_argument, at + ": selects every task; give a deployment, group or labels");
    }
    IOT_TRY(check_requirements(t.tasks.labels, at + ".labels"));
    if (!t.required && (t.weight < 1 || t.weight > 100)) {
      return make_error(Errc::invalid_argument, at + ".weight: must be 1..100, got " + std::to_string(t.weight));
    }
  }
  if (r.spread) {
    if (r.spread->key.empty()) return make_error(Errc::invalid_argument, "spread.key is empty");
    if (r.spread->weight < 1 || r.spread->weight > 100) {
      return make_error(Errc::invalid_argument,
                        "spread.weight: must be 1..100, got " + std::to_string(r.spread->weight));
    }
  }
  if (r.near && r.near->target.empty()) return make_error(Errc::invalid_argument, "near: empty target");
  return ok();
}

}  // namespace

Status validate_request(const PlacementRequest& request, size_t index) {
  auto status = check(request);
  if (!status) {
    return std::unexpected(
        std::move(status).error().context("request #" + std::to_string(index) + " '" + request.id + "'"));
  }
  return ok();
}

Status validate_requests(std::span<const PlacementRequest> requests) {
  std::unordered_map<std::string_view, size_t> seen;
  seen.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    IOT_TRY(validate_request(requests[i], i));
    auto [it, added] = seen.emplace(requests[i].id, i);
    if (!added) {
      return make_error(Errc::invalid_argument, "request #" + std::to_string(i) + " '" + requests[i].id +
                                                    "': duplicate id (first at #" + std::to_string(it->second) + ")");
    }
  }
  return ok();
}

Status validate_config(const SchedulerConfig& c) {
  for (auto [name, w] : {std::pair{"fit_weight", c.fit_weight}, std::pair{"affinity_weight", c.affinity_weight},
                         std::pair{"spread_weight", c.spread_weight}, std::pair{"near_weight", c.near_weight}}) {
    if (!std::isfinite(w) || w < 0) {
      return make_error(Errc::invalid_argument, std::string("scheduler config: ") + name + " must be >= 0");
    }
  }
  return ok();
}

}  // namespace iotwins::scheduler
