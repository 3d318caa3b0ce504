#include "iam/rate_limit.h"

#include <gtest/gtest.h>

namespace iotwins::iam {
namespace {

using namespace std::chrono_literals;

TEST(RateLimit, BurstThenRefill) {
  ManualClock clock;
  LoginRateLimiter limiter(clock, {.burst = 3, .refill_per_minute = 6});  // one every 10 s
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.try_acquire("alice", "10.0.0.1").allowed);
  RateDecision d = limiter.try_acquire("alice", "10.0.0.1");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 10s);
  clock.advance(4s);
  d = limiter.try_acquire("alice", "10.0.0.1");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 6s);  // 0.4 of a token regained; 0.6 to go
  clock.advance(6s);
  EXPECT_TRUE(limiter.try_acquire("alice", "10.0.0.1").allowed);
  EXPECT_FALSE(limiter.try_acquire("alice", "10.0.0.1").allowed);
  // The bucket never holds more than the burst, however long the pause.
  clock.advance(24h);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.try_acquire("alice", "10.0.0.1").allowed);
  EXPECT_FALSE(limiter.try_acquire("alice", "10.0.0.1").allowed);
}

TEST(RateLimit, KeysAreUserAndAddress) {
  ManualClock clock;
  LoginRateLimiter limiter(clock, {.burst = 1, .refill_per_minute = 1});
  EXPECT_TRUE(limiter.try_acquire("alice", "10.0.0.1").allowed);
  EXPECT_FALSE(limiter.try_acquire("alice", "10.0.0.1").allowed);
  EXPECT_TRUE(limiter.try_acquire("alice", "10.0.0.2").allowed);  // the user elsewhere
  EXPECT_TRUE(limiter.try_acquire("bob", "10.0.0.1").allowed);    // another user here
  // Concatenation tricks do not collide.
  EXPECT_TRUE(limiter.try_acquire("a", "b:c").allowed);
  EXPECT_TRUE(limiter.try_acquire("a:b", "c").allowed);
  limiter.reset("alice", "10.0.0.1");
  EXPECT_TRUE(limiter.try_acquire("alice", "10.0.0.1").allowed);
}

TEST(RateLimit, MemoryIsBounded) {
  ManualClock clock;
  LoginRateLimiter limiter(clock, {.burst = 2, .refill_per_minute = 1, .max_keys = 100});
  for (int i = 0; i < 1000; ++i) limiter.try_acquire("u" + std::to_string(i), "ip");
  EXPECT_LE(limiter.size(), 100u);
  // The most recent key keeps its state.
  EXPECT_TRUE(limiter.try_acquire("u999", "ip").allowed);
  EXPECT_FALSE(limiter.try_acquire("u999", "ip").allowed);
}

TEST(RateLimit, RefilledBucketsAreEvictedBeforeBusyOnes) {
  ManualClock clock;
  LoginRateLimiter limiter(clock, {.burst = 2, .refill_per_minute = 1, .max_keys = 2});
  EXPECT_TRUE(limiter.try_acquire("busy", "x").allowed);
  EXPECT_TRUE(limiter.try_acquire("busy", "x").allowed);  // empty
  clock.advance(1s);
  EXPECT_TRUE(limiter.try_acquire("quiet", "y").allowed);  // 1 of 2 left, most recently used
  clock.advance(60s);  // quiet is full again; busy has regained just over one attempt
  EXPECT_TRUE(limiter.try_acquire("new", "z").allowed);
  EXPECT_EQ(limiter.size(), 2u);
  // busy survived the eviction (LRU alone would have dropped it) and kept its state.
  EXPECT_TRUE(limiter.try_acquire("busy", "x").allowed);
  EXPECT_FALSE(limiter.try_acquire("busy", "x").allowed);
}

TEST(RateLimit, RemoteHost) {
  EXPECT_EQ(remote_host("10.0.0.5:51234"), "10.0.0.5");
  EXPECT_EQ(remote_host("[::1]:8080"), "::1");
  EXPECT_EQ(remote_host("::1"), "::1");
  EXPECT_EQ(remote_host("host"), "host");
}

}  // namespace
}  // namespace iotwins::iam
