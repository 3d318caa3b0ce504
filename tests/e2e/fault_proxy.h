// FaultProxy: a TCP proxy on a free loopback port in front of a target, which a test can cut
// (every open connection is reset and new ones are refused) and heal — the network partition
// between two levels of the continuum, without privileges or netem.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace iotwins::e2e {

class FaultProxy {
 public:
  FaultProxy(std::string target_host, int target_port);
  ~FaultProxy();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void cut();
  void heal();
  // New connections go to this port from now on (a restarted server on a new port).
  void retarget(int port) { target_port_ = port; }
  uint64_t connections() const { return connections_.load(); }

 private:
  void accept_loop();
  void pump(int a, int b);

  std::string host_;
  std::atomic<int> target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> cut_{false};
  std::atomic<uint64_t> connections_{0};
  std::mutex mu_;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace iotwins::e2e
