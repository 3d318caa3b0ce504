#include "sysinfo/sysinfo.h"

#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "sysinfo/gpu.h"
#include "sysinfo/procfs.h"
#include "sysinfo/runtime.h"

namespace iotwins::sysinfo {
namespace {

// Reads and parses one file, naming it in the error.
template <class Parse>
auto read_parsed(const std::string& path, Parse&& parse) -> decltype(parse(std::string_view())) {
  auto text = procfs::read_text(path);
  if (!text) return std::unexpected(std::move(text).error());
  auto parsed = parse(std::string_view(*text));
  if (!parsed) return std::unexpected(std::move(parsed).error().context("parse " + path));
  return parsed;
}

struct DiskUsage {
  uint64_t total = 0, used = 0, free = 0;
};

Result<DiskUsage> disk_usage(const std::string& data_dir) {
  struct statvfs st{};
  if (::statvfs(data_dir.c_str(), &st) != 0) return errno_error("statvfs " + data_dir, errno);
  DiskUsage d;
  d.total = uint64_t{st.f_blocks} * st.f_frsize;
  d.used = uint64_t{st.f_blocks - st.f_bfree} * st.f_frsize;
  d.free = uint64_t{st.f_bavail} * st.f_frsize;  // what an unprivileged writer can still use
  return d;
}

double rate(uint64_t now, uint64_t before, int64_t dt_ns) {
  // A counter that went back (interface removed, driver reset) gives no rate, not a negative one.
  if (dt_ns <= 0 || now < before) return 0;
  return static_cast<double>(now - before) * 1e9 / static_cast<double>(dt_ns);
}

}  // namespace

std::string normalise_arch(const std::string& machine) {
  if (machine == "amd64" || machine == "x86_64") return "x86_64";
  if (machine == "arm64" || machine == "aarch64" || machine == "aarch64_be" || machine == "armv8l") {
    return machine == "armv8l" ? "armv7l" : "aarch64";  // armv8l: 32-bit userland on a v8 core
  }
  if (machine.starts_with("armv7")) return "armv7l";
  if (machine.starts_with("armv6")) return "armv6l";
  if (machine.size() == 4 && machine[0] == 'i' && machine.ends_with("86")) return "i686";
  return machine;
}

Probe::Probe(std::string proc_root, std::string sys_root)
    : Probe(std::move(proc_root), std::move(sys_root), ProbeEnvironment{}) {}

Probe::Probe(std::string proc_root, std::string sys_root, ProbeEnvironment env)
    : proc_root_(std::move(proc_root)), sys_root_(std::move(sys_root)), env_(std::move(env)) {}

Result<HostFacts> Probe::facts(const std::string& data_dir) {
  HostFacts f;
  auto hostname = procfs::read_text(proc_root_ + "/sys/kernel/hostname");
  if (hostname) {
    f.hostname = procfs::trim(*hostname);
  } else {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return errno_error("gethostname", errno);
    f.hostname = buf;
  }
  IOT_ASSIGN(std::string osrelease, procfs::read_text(proc_root_ + "/sys/kernel/osrelease"));
  f.kernel = procfs::trim(osrelease);
  if (auto os_release = procfs::read_text(env_.etc_root + "/os-release")) {
    f.os = procfs::parse_os_release(*os_release);
  }
  if (f.os.empty()) {
    auto ostype = procfs::read_text(proc_root_ + "/sys/kernel/ostype");
    f.os = ostype ? procfs::trim(*ostype) : "Linux";
  }

  std::string machine = env_.machine;
  if (machine.empty()) {
    struct utsname u{};
    if (::uname(&u) != 0) return errno_error("uname", errno);
    machine = u.machine;
  }
  f.arch = normalise_arch(machine);

  IOT_ASSIGN(std::string cpuinfo, procfs::read_text(proc_root_ + "/cpuinfo"));
  f.cpu_model = procfs::parse_cpu_model(cpuinfo);
  if (f.cpu_model.empty()) {
    // Boards whose cpuinfo names nothing usually carry the board name in the device tree.
    if (auto dt = procfs::read_text(sys_root_ + "/firmware/devicetree/base/model")) {
      f.cpu_model = procfs::trim(*dt);
    }
  }
  if (f.cpu_model.empty()) f.cpu_model = "unknown";

  const std::string online_path = sys_root_ + "/devices/system/cpu/online";
  if (auto online = procfs::read_text(online_path)) {
    auto cores = procfs::parse_cpu_list(*online);
    if (!cores) return std::unexpected(std::move(cores).error().context("parse " + online_path));
    f.cores = *cores;
  } else {
    f.cores = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  }

  IOT_ASSIGN(auto mem, read_parsed(proc_root_ + "/meminfo", procfs::parse_meminfo));
  f.memory_bytes = mem.total;
  IOT_ASSIGN(auto disk, disk_usage(data_dir));
  f.disk_bytes = disk.total;
  f.gpus = discover_gpus(proc_root_, sys_root_);

  if (env_.probe_runtimes && !runtimes_probed_) {
    const char* path_env = std::getenv("PATH");
    RuntimeSupport rt = probe_runtimes(!env_.path.empty() ? env_.path : path_env ? path_env : "");
    can_run_containers_ = rt.can_run_containers;
    has_bubblewrap_ = rt.has_bubblewrap;
    runtimes_probed_ = true;
  }
  f.can_run_containers = can_run_containers_;
  f.has_bubblewrap = has_bubblewrap_;
  return f;
}

Result<Kpis> Probe::sample(const std::string& data_dir, const Clock& clock) {
  // Read everything before touching the saved counters, so a failed sample changes nothing.
  IOT_ASSIGN(auto cpu, read_parsed(proc_root_ + "/stat", procfs::parse_cpu_stat));
  IOT_ASSIGN(auto load, read_parsed(proc_root_ + "/loadavg", procfs::parse_loadavg));
  IOT_ASSIGN(auto mem, read_parsed(proc_root_ + "/meminfo", procfs::parse_meminfo));
  IOT_ASSIGN(auto net, read_parsed(proc_root_ + "/net/dev", procfs::parse_net_dev));
  IOT_ASSIGN(auto disk, disk_usage(data_dir));
  const int64_t now = clock.steady_ns();

  Kpis k;
  if (cpu.total > prev_cpu_.total && cpu.busy >= prev_cpu_.busy) {
    k.cpu_percent = 100.0 * static_cast<double>(cpu.busy - prev_cpu_.busy) /
                    static_cast<double>(cpu.total - prev_cpu_.total);
  }
  k.load1 = load.load1;
  k.load5 = load.load5;
  k.load15 = load.load15;
  k.memory_available_bytes = mem.available;
  k.memory_used_bytes = mem.total - mem.available;
  k.disk_used_bytes = disk.used;
  k.disk_free_bytes = disk.free;
  k.net_rx_bytes = net.rx;
  k.net_tx_bytes = net.tx;
  if (prev_net_.valid) {
    k.net_rx_rate = rate(net.rx, prev_net_.rx, now - prev_net_.at_ns);
    k.net_tx_rate = rate(net.tx, prev_net_.tx, now - prev_net_.at_ns);
  }
  prev_cpu_ = {cpu.busy, cpu.total};
  prev_net_ = {net.rx, net.tx, now, true};
  return k;
}

Result<ProcessUsage> Probe::process(pid_t pid, const Clock& clock) {
  if (pid <= 0) return make_error(Errc::invalid_argument, "process usage: bad pid " + std::to_string(pid));
  const std::string dir = proc_root_ + "/" + std::to_string(pid);
  auto stat_text = procfs::read_text(dir + "/stat");
  if (!stat_text) {
    prev_tasks_.erase(pid);
    if (stat_text.error().code() == Errc::not_found) {
      return make_error(Errc::not_found, "process " + std::to_string(pid) + " is not running");
    }
    return std::unexpected(std::move(stat_text).error());
  }
  auto st = procfs::parse_pid_stat(*stat_text);
  if (!st) return std::unexpected(std::move(st).error().context("parse " + dir + "/stat"));
  IOT_ASSIGN(uint64_t pages, read_parsed(dir + "/statm", procfs::parse_statm_resident));
  const int64_t now = clock.steady_ns();
  const double ticks_per_s = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const uint64_t ticks = st->utime + st->stime;

  ProcessUsage usage;
  usage.rss_bytes = pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  auto prev = prev_tasks_.find(pid);
  if (prev != prev_tasks_.end() && prev->second.start_time == st->start_time) {
    const int64_t dt = now - prev->second.at_ns;
    if (dt > 0 && ticks >= prev->second.ticks) {
      usage.cpu_percent = 100.0 * (static_cast<double>(ticks - prev->second.ticks) / ticks_per_s) /
                          (static_cast<double>(dt) / 1e9);
    }
  } else {
    // First sight of this process: average since it started (start_time is ticks after boot).
    IOT_ASSIGN(double uptime, read_parsed(proc_root_ + "/uptime", procfs::parse_uptime));
    const double alive_s = uptime - static_cast<double>(st->start_time) / ticks_per_s;
    if (alive_s > 0) usage.cpu_percent = 100.0 * (static_cast<double>(ticks) / ticks_per_s) / alive_s;
  }
  prev_tasks_[pid] = {ticks, st->start_time, now};
  return usage;
}

}  // namespace iotwins::sysinfo
