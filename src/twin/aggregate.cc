#include "twin/aggregate.h"

#include <algorithm>
#include <cmath>

#include "twin/query_ast.h"
#include "twin/query_eval.h"

namespace iotwins::twin {
namespace {

using query_detail::Val;

constexpr std::string_view kHealth[] = {"ok", "warning", "critical"};

int health_rank(const Val& v) {
  if (v.kind != Val::Kind::string) return -1;
  for (int i = 0; i < 3; ++i) {
    if (v.string == kHealth[i]) return i;
  }
  return -1;
}

bool numeric(const Val& v) {
  return (v.kind == Val::Kind::integer || v.kind == Val::Kind::number) && std::isfinite(v.number);
}

}  // namespace

Result<AggregateKind> parse_aggregate_kind(std::string_view name) {
  if (name == "count") return AggregateKind::count;
  if (name == "sum") return AggregateKind::sum;
  if (name == "mean") return AggregateKind::mean;
  if (name == "min") return AggregateKind::min;
  if (name == "max") return AggregateKind::max;
  if (name == "worst_health") return AggregateKind::worst_health;
  return make_error(Errc::invalid_argument,
                    "aggregate '" + std::string(name) +
                        "' is not one of count, sum, mean, min, max, worst_health");
}

Result<AggregateResult> aggregate(const Hierarchy& hierarchy, const DocLookup& lookup,
                                  const AggregateRequest& request) {
  auto field = query_detail::compile_field(request.field);
  if (!field) return std::unexpected(std::move(field.error()).context("aggregate field"));
  std::vector<std::string> scope;
  if (request.scope == AggregateScope::children) {
    IOT_ASSIGN(scope, hierarchy.children(request.root));
  } else {
    IOT_ASSIGN(scope, hierarchy.descendants(request.root));
  }
  AggregateResult out;
  double sum = 0;
  double lo = INFINITY, hi = -INFINITY;
  int worst = -1;
  for (const auto& id : scope) {
    const TwinDocument* doc = lookup(id);
    const Val v = doc != nullptr ? query_detail::resolve(*field, *doc) : Val{};
    bool usable = false;
    switch (request.kind) {
      case AggregateKind::count:
        usable = v.kind != Val::Kind::missing && v.kind != Val::Kind::null;
        break;
      case AggregateKind::worst_health: {
        const int r = health_rank(v);
        usable = r >= 0;
        worst = std::max(worst, r);
        break;
      }
      default:
        usable = numeric(v);
        if (usable) {
          sum += v.number;
          lo = std::min(lo, v.number);
          hi = std::max(hi, v.number);
        }
        break;
    }
    if (usable) {
      ++out.count;
    } else {
      ++out.missing;
    }
  }
  switch (request.kind) {
    case AggregateKind::count: out.value = out.count; break;
    case AggregateKind::worst_health:
      if (worst >= 0) out.value = std::string(kHealth[worst]);
      break;
    case AggregateKind::sum: out.value = sum; break;
    case AggregateKind::mean:
      if (out.count > 0) out.value = sum / static_cast<double>(out.count);
      break;
    case AggregateKind::min:
      if (out.count > 0) out.value = lo;
      break;
    case AggregateKind::max:
      if (out.count > 0) out.value = hi;
      break;
  }
  return out;
}

}  // namespace iotwins::twin
