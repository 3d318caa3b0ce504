// The restart policy: whether an ended task starts again, after how long (exponential backoff
// with jitter, capped), and when restarts come so fast that it is a storm (then it stays down).
// Pure: time comes in as numbers, randomness as a number in [0, 1).
#pragma once

#include <cstdint>
#include <deque>

#include "runtime/driver.h"
#include "runtime/task_spec.h"

namespace iotwins::runtime {

// initial * 2^attempt, capped at max, then reduced by up to jitter * itself: delay * (1 - jitter * u).
int64_t backoff_ms(const RestartPolicy& policy, int attempt, double u);

struct RestartDecision {
  bool restart = false;
  bool storm = false;             // more than max_restarts within the window: stop for good
  int64_t delay_ms = 0;
  int restarts_in_window = 0;     // including this one when it restarts
};

class RestartTracker {
 public:
  RestartDecision on_exit(const RestartPolicy& policy, const TaskExit& exit, int64_t now_ns, double u);
  void reset() { restarts_.clear(); }

 private:
  std::deque<int64_t> restarts_;  // when each restart in the window was decided
};

}  // namespace iotwins::runtime
