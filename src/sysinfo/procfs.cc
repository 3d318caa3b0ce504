#include "sysinfo/procfs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <optional>
#include <utility>

namespace iotwins::sysinfo::procfs {
namespace {

constexpr size_t kMaxPseudoFile = 8 << 20;

std::string_view trim_view(std::string_view s) {
  size_t b = 0;
  while (b < s.size() && (s[b] == ' ' || s[b] == '\t')) ++b;
  size_t e = s.size();
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r' ||
                   s[e - 1] == '\0')) {
    --e;
  }
  return s.substr(b, e - b);
}

// Calls f(line) for each line of text.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    f(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

// Splits on runs of spaces/tabs.
template <class F>
void for_each_field(std::string_view line, F&& f) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) f(line.substr(start, i - start));
  }
}

std::optional<uint64_t> to_u64(std::string_view s, int base = 10) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> to_double(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "key\t: value" lines of /proc/cpuinfo and /proc/meminfo: the first value for key.
std::optional<std::string_view> keyed_value(std::string_view text, std::string_view key) {
  std::optional<std::string_view> found;
  for_each_line(text, [&](std::string_view line) {
    if (found) return;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    if (trim_view(line.substr(0, colon)) == key) found = trim_view(line.substr(colon + 1));
  });
  return found;
}

std::string arm_core_name(uint64_t implementer, uint64_t part) {
  if (implementer == 0x41) {
    static constexpr std::pair<uint64_t, const char*> kArmParts[] = {
        {0xb76, "ARM1176"},       {0xc07, "Cortex-A7"},     {0xc08, "Cortex-A8"},
        {0xc09, "Cortex-A9"},     {0xc0f, "Cortex-A15"},    {0xd03, "Cortex-A53"},
        {0xd04, "Cortex-A35"},    {0xd05, "Cortex-A55"},    {0xd07, "Cortex-A57"},
        {0xd08, "Cortex-A72"},    {0xd09, "Cortex-A73"},    {0xd0a, "Cortex-A75"},
        {0xd0b, "Cortex-A76"},    {0xd0c, "Neoverse-N1"},   {0xd0d, "Cortex-A77"},
        {0xd40, "Neoverse-V1"},   {0xd41, "Cortex-A78"},    {0xd44, "Cortex-X1"},
        {0xd46, "Cortex-A510"},   {0xd47, "Cortex-A710"},   {0xd49, "Neoverse-N2"},
        {0xd4f, "Neoverse-V2"},   {0xd80, "Cortex-A520"},   {0xd81, "Cortex-A720"},
    };
    for (auto [id, name] : kArmParts) {
      if (id == part) return std::string("ARM ") + name;
    }
  }
  char buf[64];
  snprintf(buf, sizeof buf, "CPU implementer 0x%02llx part 0x%03llx",
           static_cast<unsigned long long>(implementer), static_cast<unsigned long long>(part));
  return buf;
}

}  // namespace

std::string trim(std::string_view text) { return std::string(trim_view(text)); }

Result<std::string> read_text(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open " + path, errno);
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return errno_error("read " + path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxPseudoFile) {
      ::close(fd);
      return make_error(Errc::too_large, "read " + path + ": larger than 8 MiB");
    }
  }
  ::close(fd);
  return out;
}

Result<MemInfo> parse_meminfo(std::string_view text) {
  auto kib = [&](std::string_view key) -> std::optional<uint64_t> {
    auto v = keyed_value(text, key);
    if (!v) return std::nullopt;
    std::string_view s = *v;
    if (s.ends_with(" kB")) s.remove_suffix(3);
    auto n = to_u64(trim_view(s));
    if (!n) return std::nullopt;
    return *n * 1024;
  };
  MemInfo info;
  auto total = kib("MemTotal");
  if (!total) return make_error(Errc::invalid_argument, "meminfo: no valid MemTotal line");
  info.total = *total;
  if (auto avail = kib("MemAvailable")) {
    info.available = *avail;
  } else {
    auto free = kib("MemFree"), buffers = kib("Buffers"), cached = kib("Cached");
    if (!free) return make_error(Errc::invalid_argument, "meminfo: neither MemAvailable nor MemFree");
    info.available = *free + buffers.value_or(0) + cached.value_or(0);
  }
  if (info.available > info.total) info.available = info.total;
  return info;
}

Result<CpuTimes> parse_cpu_stat(std::string_view text) {
  std::optional<CpuTimes> times;
  std::string error;
  for_each_line(text, [&](std::string_view line) {
    if (times || !error.empty() || !line.starts_with("cpu ")) return;
    // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is
    // already included in user/nice, so only the first eight fields are summed.
    uint64_t f[8] = {};
    int n = 0;
    for_each_field(line.substr(4), [&](std::string_view field) {
      if (n >= 8 || !error.empty()) return;
      auto v = to_u64(field);
      if (!v) {
        error = "stat: bad number '" + std::string(field) + "' in the cpu line";
        return;
      }
      f[n++] = *v;
    });
    if (error.empty() && n < 4) error = "stat: cpu line has fewer than 4 fields";
    if (!error.empty()) return;
    CpuTimes t;
    for (uint64_t v : f) t.total += v;
    t.busy = t.total - f[3] - f[4];
    times = t;
  });
  if (!error.empty()) return make_error(Errc::invalid_argument, error);
  if (!times) return make_error(Errc::invalid_argument, "stat: no aggregate 'cpu' line");
  return *times;
}

Result<LoadAvg> parse_loadavg(std::string_view text) {
  double v[3] = {};
  int n = 0;
  bool bad = false;
  for_each_field(trim_view(text), [&](std::string_view field) {
    if (n >= 3 || bad) return;
    auto d = to_double(field);
    if (!d) {
      bad = true;
      return;
    }
    v[n++] = *d;
  });
  if (bad || n < 3) {
    return make_error(Errc::invalid_argument, "loadavg: expected three numbers, got '" + trim(text) + "'");
  }
  return LoadAvg{v[0], v[1], v[2]};
}

Result<NetTotals> parse_net_dev(std::string_view text) {
  NetTotals totals;
  std::string error;
  int line_no = 0;
  for_each_line(text, [&](std::string_view line) {
    ++line_no;
    if (!error.empty()) return;
    size_t colon = line.find(':');
    // The two header lines have '|' and no "name:" prefix.
    if (colon == std::string_view::npos || line.find('|') != std::string_view::npos) return;
    std::string_view name = trim_view(line.substr(0, colon));
    uint64_t f[9] = {};
    int n = 0;
    for_each_field(line.substr(colon + 1), [&](std::string_view field) {
      if (n >= 9 || !error.empty()) return;
      auto v = to_u64(field);
      if (!v) {
        error = "net/dev line " + std::to_string(line_no) + ": bad number '" + std::string(field) + "'";
        return;
      }
      f[n++] = *v;
    });
    if (error.empty() && n < 9) {
      error = "net/dev line " + std::to_string(line_no) + ": fewer than 9 counters";
    }
    if (!error.empty() || name == "lo") return;
    totals.rx += f[0];
    totals.tx += f[8];
  });
  if (!error.empty()) return make_error(Errc::invalid_argument, error);
  return totals;
}

Result<int> parse_cpu_list(std::string_view text) {
  std::string_view s = trim_view(text);
  if (s.empty()) return make_error(Errc::invalid_argument, "cpu list is empty");
  int count = 0;
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view range = s.substr(0, comma);
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
    size_t dash = range.find('-');
    auto lo = to_u64(range.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : to_u64(range.substr(dash + 1));
    if (!lo || !hi || *hi < *lo || *hi > 1'000'000) {
      return make_error(Errc::invalid_argument, "cpu list: bad range '" + std::string(range) + "'");
    }
    count += static_cast<int>(*hi - *lo + 1);
  }
  return count;
}

Result<PidStat> parse_pid_stat(std::string_view text) {
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) {
    return make_error(Errc::invalid_argument, "pid stat: no ')' after the command name");
  }
  // Field 3 (state) is the first after ')': utime is 14, stime 15, starttime 22.
  PidStat st;
  int field_no = 2;
  bool bad = false;
  for_each_field(trim_view(text.substr(close + 1)), [&](std::string_view field) {
    ++field_no;
    if (bad || (field_no != 14 && field_no != 15 && field_no != 22)) return;
    auto v = to_u64(field);
    if (!v) {
      bad = true;
      return;
    }
    (field_no == 14 ? st.utime : field_no == 15 ? st.stime : st.start_time) = *v;
  });
  if (bad || field_no < 22) {
    return make_error(Errc::invalid_argument, "pid stat: missing or bad utime/stime/starttime fields");
  }
  return st;
}

Result<uint64_t> parse_statm_resident(std::string_view text) {
  int n = 0;
  std::optional<uint64_t> resident;
  for_each_field(trim_view(text), [&](std::string_view field) {
    if (++n == 2) resident = to_u64(field);
  });
  if (!resident) return make_error(Errc::invalid_argument, "statm: no resident page count");
  return *resident;
}

Result<double> parse_uptime(std::string_view text) {
  std::string_view s = trim_view(text);
  auto v = to_double(s.substr(0, s.find(' ')));
  if (!v) return make_error(Errc::invalid_argument, "uptime: bad number in '" + std::string(s) + "'");
  return *v;
}

std::string parse_cpu_model(std::string_view cpuinfo) {
  if (auto v = keyed_value(cpuinfo, "model name"); v && !v->empty()) return std::string(*v);
  auto implementer = keyed_value(cpuinfo, "CPU implementer");
  auto part = keyed_value(cpuinfo, "CPU part");
  if (implementer && part) {
    auto strip0x = [](std::string_view s) { return s.starts_with("0x") ? s.substr(2) : s; };
    auto i = to_u64(strip0x(*implementer), 16);
    auto p = to_u64(strip0x(*part), 16);
    if (i && p) return arm_core_name(*i, *p);
  }
  for (std::string_view key : {"Hardware", "uarch", "isa", "Processor", "cpu"}) {
    if (auto v = keyed_value(cpuinfo, key); v && !v->empty()) return std::string(*v);
  }
  return {};
}

std::string parse_os_release(std::string_view text) {
  std::string out;
  for_each_line(text, [&](std::string_view line) {
    if (!out.empty() || !line.starts_with("PRETTY_NAME=")) return;
    std::string_view v = trim_view(line.substr(12));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    }
    out = v;
  });
  return out;
}

}  // namespace iotwins::sysinfo::procfs
