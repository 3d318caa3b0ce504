#include "core/signals.h"

#include <signal.h>

#include <cerrno>
#include <ctime>

namespace iotwins {
namespace {

sigset_t termination_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void block_termination_signals() {
  sigset_t set = termination_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A peer closing a socket must surface as EPIPE, not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

std::optional<int> wait_for_termination(std::optional<std::chrono::milliseconds> timeout) {
  sigset_t set = termination_set();
  for (;;) {
    int sig = 0;
    if (!timeout) {
      if (sigwait(&set, &sig) == 0) return sig;
      continue;
    }
    timespec ts{static_cast<time_t>(timeout->count() / 1000),
                static_cast<long>((timeout->count() % 1000) * 1'000'000)};
    sig = sigtimedwait(&set, nullptr, &ts);
    if (sig > 0) return sig;
    if (errno == EAGAIN) return std::nullopt;
    if (errno != EINTR) return std::nullopt;
  }
}

}  // namespace iotwins
