// Clock: the only way modules read time, so tests can inject it (ManualClock).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace iotwins {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in nanoseconds since the Unix epoch (timestamps of records and events).
  virtual int64_t now_ns() const = 0;
  // Monotonic time in nanoseconds (timeouts, intervals); never goes back.
  virtual int64_t steady_ns() const = 0;

  int64_t now_ms() const { return now_ns() / 1'000'000; }
};

class SystemClock final : public Clock {
 public:
  int64_t now_ns() const override;
  int64_t steady_ns() const override;
  // The process-wide system clock.
  static const SystemClock& instance();
};

// A clock that only moves when told: wall and steady time advance together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ns = 1'700'000'000'000'000'000) : now_(start_ns) {}
  int64_t now_ns() const override { return now_.load(); }
  int64_t steady_ns() const override { return now_.load(); }
  void advance(std::chrono::nanoseconds d) { now_ += d.count(); }
  void set(int64_t ns) { now_ = ns; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace iotwins
