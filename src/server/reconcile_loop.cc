#include "server/reconcile_loop.h"

#include "core/log.h"
#include "orchestrator/orchestrator.h"

namespace iotwins::server {

ReconcileLoop::ReconcileLoop(orchestrator::Orchestrator& orch, std::chrono::milliseconds interval)
    : orch_(orch), interval_(interval.count() > 0 ? interval : std::chrono::milliseconds(5000)),
      thread_([this] { run(); }) {}

void ReconcileLoop::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReconcileLoop::run() {
  auto& log = log::get("server");
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    if (auto st = orch_.reconcile(); !st) log.warn("orchestrator reconcile: {}", st.error().message());
    lock.lock();
  }
}

}  // namespace iotwins::server
