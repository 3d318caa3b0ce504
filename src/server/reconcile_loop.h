// The orchestrator's periodic pass: reconcile() every `interval` on a thread of its own, so a
// node that went down or is draining loses its tasks and dependency layers advance even when no
// request arrives. stop() (or the destructor) ends it without waiting out the interval.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace iotwins::orchestrator {
class Orchestrator;
}

namespace iotwins::server {

class ReconcileLoop {
 public:
  ReconcileLoop(orchestrator::Orchestrator& orch, std::chrono::milliseconds interval);
  ~ReconcileLoop() { stop(); }
  ReconcileLoop(const ReconcileLoop&) = delete;
  ReconcileLoop& operator=(const ReconcileLoop&) = delete;
  void stop();

 private:
  void run();

  orchestrator::Orchestrator& orch_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace iotwins::server
