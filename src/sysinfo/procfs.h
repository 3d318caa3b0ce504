// Parsers for the text formats of /proc and /sys. Pure functions over file contents, so each
// is tested against recorded samples; the caller names the file in errors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace iotwins::sysinfo::procfs {

// Reads a whole pseudo-file (their stat size is 0, so read until EOF); at most 8 MiB.
Result<std::string> read_text(const std::string& path);

struct MemInfo {
  uint64_t total = 0, available = 0;  // bytes
};
// /proc/meminfo. MemAvailable is missing before Linux 3.14: then MemFree + Buffers + Cached.
Result<MemInfo> parse_meminfo(std::string_view text);

struct CpuTimes {
  uint64_t busy = 0, total = 0;  // clock ticks; idle and iowait count as not busy
};
// The aggregate "cpu " line of /proc/stat.
Result<CpuTimes> parse_cpu_stat(std::string_view text);

struct LoadAvg {
  double load1 = 0, load5 = 0, load15 = 0;
};
Result<LoadAvg> parse_loadavg(std::string_view text);

struct NetTotals {
  uint64_t rx = 0, tx = 0;
};
// /proc/net/dev summed over every interface except loopback.
Result<NetTotals> parse_net_dev(std::string_view text);

// A CPU list like "0-3,6,8-9" (/sys/devices/system/cpu/online) -> how many CPUs it names.
Result<int> parse_cpu_list(std::string_view text);

struct PidStat {
  uint64_t utime = 0, stime = 0, start_time = 0;  // clock ticks; start_time since boot
};
// /proc/<pid>/stat; the command name may hold spaces and ')' so fields start after the last ')'.
Result<PidStat> parse_pid_stat(std::string_view text);

// Resident pages: the second field of /proc/<pid>/statm.
Result<uint64_t> parse_statm_resident(std::string_view text);

// Seconds since boot: the first field of /proc/uptime.
Result<double> parse_uptime(std::string_view text);

// The CPU's name from /proc/cpuinfo: "model name" (x86, some ARM), else the core named from
// "CPU implementer" + "CPU part" (ARM boards often have no model name), else "Hardware", else
// "uarch"/"isa" (RISC-V), else "Processor"/"cpu" (old ARM, POWER); empty when none is present.
std::string parse_cpu_model(std::string_view cpuinfo);

// PRETTY_NAME of an os-release file, unquoted; empty when missing.
std::string parse_os_release(std::string_view text);

// Text with trailing whitespace and NULs removed (device-tree strings end in NUL).
std::string trim(std::string_view text);

}  // namespace iotwins::sysinfo::procfs
