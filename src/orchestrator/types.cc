#include "orchestrator/types.h"

namespace iotwins::orchestrator {
namespace {

constexpr std::string_view kPhases[] = {"CREATE", "UPDATE", "DELETE"};
constexpr std::string_view kProgress[] = {"IN_PROGRESS", "COMPLETE", "FAILED"};
constexpr std::string_view kStates[] = {"initial", "starting", "started", "error", "deleting", "deleted"};

}  // namespace

std::string status_name(Phase phase, Progress progress) {
  return std::string(kPhases[static_cast<int>(phase)]) + "_" + std::string(kProgress[static_cast<int>(progress)]);
}

Result<std::pair<Phase, Progress>> parse_status(std::string_view text) {
  for (int p = 0; p < 3; ++p) {
    for (int g = 0; g < 3; ++g) {
      if (text == status_name(static_cast<Phase>(p), static_cast<Progress>(g))) {
        return std::pair{static_cast<Phase>(p), static_cast<Progress>(g)};
      }
    }
  }
  return make_error(Errc::invalid_argument, "unknown deployment status '" + std::string(text) + "'");
}

std::string_view to_string(InstanceState state) { return kStates[static_cast<int>(state)]; }

Result<InstanceState> parse_instance_state(std::string_view text) {
  for (int i = 0; i < 6; ++i) {
    if (text == kStates[i]) return static_cast<InstanceState>(i);
  }
  return make_error(Errc::invalid_argument, "unknown node instance state '" + std::string(text) +
                                                "' (initial, starting, started, error, deleting, deleted)");
}

}  // namespace iotwins::orchestrator
