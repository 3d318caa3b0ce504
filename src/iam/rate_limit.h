// LoginRateLimiter: token buckets keyed by (user name, client address), so guessing one
// user's password from one address is slowed without locking the user out from elsewhere.
// Each key starts with `burst` attempts and regains `refill_per_minute`; time comes from the
// injected Clock (steady time). Memory is bounded: beyond max_keys, buckets that have refilled
// completely (they carry no information) are dropped first, then the least recently used.
// Thread-safe: one mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"

namespace iotwins::iam {

struct RateLimitOptions {
  double burst = 5;               // attempts available at once
  double refill_per_minute = 5;  // attempts regained per minute
  size_t max_keys = 100'000;
};

struct RateDecision {
  bool allowed = false;
  std::chrono::milliseconds retry_after{0};  // when refused: wait at least this long
};

class LoginRateLimiter {
 public:
  LoginRateLimiter(const Clock& clock, RateLimitOptions options = {});

  // Takes one attempt from the bucket of (user, remote).
  RateDecision try_acquire(std::string_view user, std::string_view remote);
  // Forgets a key (after a successful login, failures before it no longer count).
  void reset(std::string_view user, std::string_view remote);
  size_t size() const;

 private:
  struct Bucket {
    double tokens;
    int64_t updated_ns;
    std::list<std::string>::iterator lru;
  };
  void refill(Bucket& b, int64_t now) const;
  void evict_locked(int64_t now);

  const Clock& clock_;
  RateLimitOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::list<std::string> lru_;  // front: most recently used
};

// "10.0.0.5:51234" -> "10.0.0.5", "[::1]:8080" -> "::1": the key part of a peer address.
std::string remote_host(std::string_view peer);

}  // namespace iotwins::iam
