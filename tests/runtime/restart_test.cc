#include "runtime/restart.h"

#include <gtest/gtest.h>

namespace iotwins::runtime {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

RestartPolicy policy(RestartMode mode, int max_restarts = 3) {
  return {.mode = mode, .max_restarts = max_restarts, .window_ms = 60'000, .initial_backoff_ms = 1'000,
          .max_backoff_ms = 5'000, .jitter = 0.5};
}

TEST(Backoff, DoublesUpToTheCapAndJitterOnlyShortensIt) {
  RestartPolicy p = policy(RestartMode::always);
  EXPECT_EQ(backoff_ms(p, 0, 0), 1'000);
  EXPECT_EQ(backoff_ms(p, 1, 0), 2'000);
  EXPECT_EQ(backoff_ms(p, 2, 0), 4'000);
  EXPECT_EQ(backoff_ms(p, 3, 0), 5'000);
  EXPECT_EQ(backoff_ms(p, 60, 0), 5'000);  // no overflow for large attempts
  EXPECT_EQ(backoff_ms(p, 1, 1.0), 1'000);  // at most jitter (50%) shorter
  EXPECT_EQ(backoff_ms(p, 1, 0.5), 1'500);
}

TEST(RestartTracker, FollowsTheMode) {
  TaskExit ok_exit{.code = 0}, failed{.code = 2};
  RestartTracker never, on_failure, always;
  EXPECT_FALSE(never.on_exit(policy(RestartMode::never), failed, 0, 0).restart);
  EXPECT_FALSE(on_failure.on_exit(policy(RestartMode::on_failure), ok_exit, 0, 0).restart);
  EXPECT_TRUE(on_failure.on_exit(policy(RestartMode::on_failure), failed, 0, 0).restart);
  EXPECT_TRUE(on_failure.on_exit(policy(RestartMode::on_failure), TaskExit{.code = 0, .signal = 9}, 0, 0).restart);
  EXPECT_TRUE(always.on_exit(policy(RestartMode::always), ok_exit, 0, 0).restart);
}

TEST(RestartTracker, TooManyRestartsInTheWindowIsAStorm) {
  RestartTracker t;
  RestartPolicy p = policy(RestartMode::always, 3);
  TaskExit failed{.code = 1};
  std::vector<int64_t> delays;
  for (int i = 0; i < 3; ++i) {
    auto d = t.on_exit(p, failed, i * kSecond, 0);
    ASSERT_TRUE(d.restart);
    EXPECT_EQ(d.restarts_in_window, i + 1);
    delays.push_back(d.delay_ms);
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{1'000, 2'000, 4'000}));
  auto storm = t.on_exit(p, failed, 3 * kSecond, 0);
  EXPECT_FALSE(storm.restart);
  EXPECT_TRUE(storm.storm);
  EXPECT_EQ(storm.restarts_in_window, 3);
}

TEST(RestartTracker, RestartsOutsideTheWindowAreForgottenAndBackoffStartsOver) {
  RestartTracker t;
  RestartPolicy p = policy(RestartMode::always, 2);
  TaskExit failed{.code = 1};
  EXPECT_TRUE(t.on_exit(p, failed, 0, 0).restart);
  EXPECT_TRUE(t.on_exit(p, failed, 10 * kSecond, 0).restart);
  auto later = t.on_exit(p, failed, 65 * kSecond, 0);  // the first one left the 60 s window
  EXPECT_TRUE(later.restart);
  EXPECT_EQ(later.restarts_in_window, 2);
  auto much_later = t.on_exit(p, failed, 200 * kSecond, 0);
  EXPECT_TRUE(much_later.restart);
  EXPECT_EQ(much_later.delay_ms, 1'000);
}

}  // namespace
}  // namespace iotwins::runtime
