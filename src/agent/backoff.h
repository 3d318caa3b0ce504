// The agent's retry pause: exponential backoff with full jitter — 0.5 s, 1 s, 2 s … up to `cap`,
// each drawn from [half, whole] — so a fleet that lost the server does not come back in lockstep.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace iotwins::agent {

inline std::chrono::milliseconds backoff(int attempt, std::chrono::milliseconds cap) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  int64_t base = std::min<int64_t>(cap.count(), 500LL << std::clamp(attempt, 0, 10));
  return std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(base / 2, base)(rng));
}

}  // namespace iotwins::agent
