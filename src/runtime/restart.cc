#include "runtime/restart.h"

#include <algorithm>

namespace iotwins::runtime {

int64_t backoff_ms(const RestartPolicy& policy, int attempt, double u) {
  int64_t delay = policy.initial_backoff_ms;
  for (int i = 0; i < attempt && delay < policy.max_backoff_ms; ++i) delay *= 2;
  delay = std::min(delay, policy.max_backoff_ms);
  u = std::clamp(u, 0.0, 1.0);
  return delay - static_cast<int64_t>(static_cast<double>(delay) * policy.jitter * u);
}

RestartDecision RestartTracker::on_exit(const RestartPolicy& policy, const TaskExit& exit, int64_t now_ns, double u) {
  RestartDecision d;
  if (policy.mode == RestartMode::never) return d;
  if (policy.mode == RestartMode::on_failure && exit.success()) return d;
  const int64_t window_ns = policy.window_ms * 1'000'000;
  while (!restarts_.empty() && now_ns - restarts_.front() >= window_ns) restarts_.pop_front();
  if (static_cast<int>(restarts_.size()) >= policy.max_restarts) {
    d.storm = true;
    d.restarts_in_window = static_cast<int>(restarts_.size());
    return d;
  }
  restarts_.push_back(now_ns);
  d.restart = true;
  d.restarts_in_window = static_cast<int>(restarts_.size());
  d.delay_ms = backoff_ms(policy, d.restarts_in_window - 1, u);
  return d;
}

}  // namespace iotwins::runtime
