// Host fingerprint (stable facts sent at registration) and KPIs (sampled at each heartbeat),
// read from /proc and /sys. The roots are injectable so tests can replay recorded trees from
// other machines (x86_64 servers, Raspberry Pi boards).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace iotwins::sysinfo {

struct Gpu {
  std::string vendor;         // "NVIDIA", "AMD", "Intel"
  std::string model;          // driver-reported name, else the PCI id "10de:1eb8"
  uint64_t memory_bytes = 0;  // 0 when the kernel does not expose it (NVIDIA without NVML)
};

struct HostFacts {  // stable facts, sent at registration
  std::string hostname, os, kernel, arch;  // arch normalised: x86_64, aarch64, armv7l, riscv64 ...
  std::string cpu_model;
  int cores = 0;               // online logical CPUs
  uint64_t memory_bytes = 0;   // MemTotal
  uint64_t disk_bytes = 0;     // total size of the file system holding data_dir
  std::vector<Gpu> gpus;
  bool can_run_containers = false;  // podman present AND it started a container (probed once)
  bool has_bubblewrap = false;      // bwrap present AND it started a sandbox (probed once)
};

struct Kpis {  // sampled at each heartbeat
  double cpu_percent = 0;  // whole machine (0..100), since the previous sample (first: since boot)
  double load1 = 0, load5 = 0, load15 = 0;
  uint64_t memory_used_bytes = 0, memory_available_bytes = 0;
  uint64_t disk_used_bytes = 0, disk_free_bytes = 0;  // of data_dir's file system
  uint64_t net_rx_bytes = 0, net_tx_bytes = 0;        // totals over non-loopback interfaces
  double net_rx_rate = 0, net_tx_rate = 0;            // bytes/s since previous sample (first: 0)
};

// cpu_percent is of one core, like top: a task keeping two cores busy reports 200.
struct ProcessUsage {
  double cpu_percent = 0;  // since the previous sample of this pid (first: since it started)
  uint64_t rss_bytes = 0;
};

// Where facts come from besides /proc and /sys; every field has a working default.
struct ProbeEnvironment {
  std::string etc_root = "/etc";  // os-release
  std::string path;               // PATH searched for podman and bwrap; empty: $PATH
  std::string machine;            // uname machine; empty: uname(2)
  bool probe_runtimes = true;     // false: skip starting podman/bwrap (report both false)
};

// Not thread-safe: one owner (the agent's heartbeat loop) keeps the previous counters.
class Probe {
 public:
  explicit Probe(std::string proc_root = "/proc", std::string sys_root = "/sys");
  Probe(std::string proc_root, std::string sys_root, ProbeEnvironment env);

  Result<HostFacts> facts(const std::string& data_dir);
  // Keeps the previous counters for rates.
  Result<Kpis> sample(const std::string& data_dir, const Clock& clock);
  // Per-task usage from /proc/<pid>/stat and statm; not_found when the pid is gone.
  Result<ProcessUsage> process(pid_t pid, const Clock& clock);

 private:
  struct CpuCounters {
    uint64_t busy = 0, total = 0;
  };
  struct NetCounters {
    uint64_t rx = 0, tx = 0;
    int64_t at_ns = 0;
    bool valid = false;
  };
  struct TaskCounters {
    uint64_t ticks = 0;       // utime + stime
    uint64_t start_time = 0;  // detects a reused pid
    int64_t at_ns = 0;
  };

  std::string proc_root_, sys_root_;
  ProbeEnvironment env_;
  bool runtimes_probed_ = false;
  bool can_run_containers_ = false, has_bubblewrap_ = false;
  CpuCounters prev_cpu_;
  NetCounters prev_net_;
  std::unordered_map<pid_t, TaskCounters> prev_tasks_;
};

// uname machine -> the arch names used across the platform ("arm64" -> "aarch64", "amd64" ->
// "x86_64", "armv7*" -> "armv7l", "i?86" -> "i686"); unknown names pass through.
std::string normalise_arch(const std::string& machine);

}  // namespace iotwins::sysinfo
