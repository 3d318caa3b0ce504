#include "iam/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace iotwins::iam {
namespace {

std::string key_of(std::string_view user, std::string_view remote) {
  std::string key;
  key.reserve(user.size() + remote.size() + 1);
  key.append(user.substr(0, 256));
  key += '\0';  // cannot occur in either part, so ("a","b:c") and ("a:b","c") differ
  key.append(remote.substr(0, 128));
  return key;
}

}  // namespace

LoginRateLimiter::LoginRateLimiter(const Clock& clock, RateLimitOptions options)
    : clock_(clock), options_(options) {
  options_.burst = std::max(1.0, options_.burst);
  options_.refill_per_minute = std::max(1e-6, options_.refill_per_minute);
  options_.max_keys = std::max<size_t>(1, options_.max_keys);
}

void LoginRateLimiter::refill(Bucket& b, int64_t now) const {
  if (now <= b.updated_ns) return;
  double minutes = static_cast<double>(now - b.updated_ns) / 60e9;
  b.tokens = std::min(options_.burst, b.tokens + minutes * options_.refill_per_minute);
  b.updated_ns = now;
}

void LoginRateLimiter::evict_locked(int64_t now) {
  if (buckets_.size() < options_.max_keys) return;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    if (it->second.tokens >= options_.burst) {
      lru_.erase(it->second.lru);
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  while (buckets_.size() >= options_.max_keys) {
    buckets_.erase(lru_.back());
    lru_.pop_back();
  }
}

RateDecision LoginRateLimiter::try_acquire(std::string_view user, std::string_view remote) {
  std::string key = key_of(user, remote);
  int64_t now = clock_.steady_ns();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    evict_locked(now);
    lru_.push_front(key);
    it = buckets_.emplace(key, Bucket{options_.burst, now, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    refill(it->second, now);
  }
  Bucket& b = it->second;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return RateDecision{true, std::chrono::milliseconds(0)};
  }
  double minutes = (1.0 - b.tokens) / options_.refill_per_minute;
  auto wait = std::chrono::milliseconds(static_cast<int64_t>(std::ceil(minutes * 60'000.0)));
  return RateDecision{false, wait};
}

void LoginRateLimiter::reset(std::string_view user, std::string_view remote) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key_of(user, remote));
  if (it == buckets_.end()) return;
  lru_.erase(it->second.lru);
  buckets_.erase(it);
}

size_t LoginRateLimiter::size() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

std::string remote_host(std::string_view peer) {
  if (peer.starts_with('[')) {
    size_t close = peer.find(']');
    if (close != std::string_view::npos) return std::string(peer.substr(1, close - 1));
    return std::string(peer);
  }
  size_t colon = peer.rfind(':');
  // One colon: host:port. More: a bare IPv6 address without a port.
  if (colon != std::string_view::npos && peer.find(':') == colon) return std::string(peer.substr(0, colon));
  return std::string(peer);
}

}  // namespace iotwins::iam
