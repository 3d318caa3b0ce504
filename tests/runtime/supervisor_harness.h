// A Supervisor over the real drivers with a manual clock, recording its events.
#pragma once

#include <gtest/gtest.h>

#include <mutex>

#include "helpers.h"
#include "runtime/supervisor.h"

namespace iotwins::runtime::testing {

class SupervisorHarness {
 public:
  explicit SupervisorHarness(Workspace& ws) : ws_(ws) {}

  std::unique_ptr<Supervisor> open() {
    auto drivers = create_drivers(ws_.config());
    EXPECT_TRUE(drivers) << drivers.error().to_string();
    SupervisorOptions options{.data_dir = ws_.root() + "/agent", .tasks_dir = ws_.config().tasks_dir,
                              .clock = &clock, .on_event = [this](const TaskEvent& e) {
                                std::lock_guard lock(mu_);
                                events_.push_back(e);
                              },
                              .stop_grace = std::chrono::seconds(5), .seed = 42};
    auto sup = Supervisor::open(options, std::move(*drivers));
    EXPECT_TRUE(sup) << sup.error().to_string();
    return sup ? std::move(*sup) : nullptr;
  }

  std::vector<TaskEvent> events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  int count(const std::string& id, TaskEventKind kind) {
    int n = 0;
    for (const auto& e : events()) n += e.task_id == id && e.kind == kind;
    return n;
  }
  std::optional<TaskEvent> last(const std::string& id, TaskEventKind kind) {
    std::optional<TaskEvent> out;
    for (const auto& e : events()) {
      if (e.task_id == id && e.kind == kind) out = e;
    }
    return out;
  }
  // Ticks until the task has seen `n` events of this kind.
  bool tick_until(Supervisor& sup, const std::string& id, TaskEventKind kind, int n = 1) {
    return eventually([&] {
      sup.tick();
      return count(id, kind) >= n;
    });
  }
  static std::optional<TaskStatus> status_of(Supervisor& sup, const std::string& id) {
    for (auto& s : sup.status()) {
      if (s.spec.id == id) return s;
    }
    return std::nullopt;
  }

  ManualClock clock;

 private:
  Workspace& ws_;
  std::mutex mu_;
  std::vector<TaskEvent> events_;
};

}  // namespace iotwins::runtime::testing
