#include "scheduler/filters.h"

namespace iotwins::scheduler::detail {

std::string_view reject_name(Reject reason) {
  switch (reason) {
    case Reject::none: return "feasible";
    case Reject::draining: return "node draining";
    case Reject::unreachable: return "node unreachable";
    case Reject::down: return "node down";
    case Reject::level: return "level mismatch";
    case Reject::arch: return "arch mismatch";
    case Reject::driver: return "missing task driver";
    case Reject::labels: return "node labels do not match";
    case Reject::near: return "not near the twin or service";
    case Reject::cpu: return "insufficient cpu";
    case Reject::memory: return "insufficient memory";
    case Reject::gpus: return "insufficient gpus";
    case Reject::anti_affinity: return "anti-affinity conflict";
    case Reject::affinity: return "required affinity not met";
    case Reject::count_: break;
  }
  return "?";
}

}  // namespace iotwins::scheduler::detail
