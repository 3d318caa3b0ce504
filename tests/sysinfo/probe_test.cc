#include <gtest/gtest.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>

#include "fake_tree.h"
#include "sysinfo/sysinfo.h"

namespace iotwins::sysinfo {
namespace {

using testing_support::FakeTree;
using testing_support::net_dev;

std::string repeat_cpuinfo(const std::string& block, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += "processor\t: " + std::to_string(i) + "\n" + block + "\n";
  return out;
}

// A 4-CPU Xeon server with an NVIDIA T4 (seen by both the driver and DRM), an AMD card with
// VRAM, an ASPEED BMC adapter and a connector entry.
void write_x86_server(const FakeTree& t) {
  t.write("proc/sys/kernel/hostname", "plant-edge-01\n");
  t.write("proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
  t.write("proc/sys/kernel/ostype", "Linux\n");
  t.write("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n");
  t.write("proc/cpuinfo", repeat_cpuinfo("vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
                                         "model name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz\n"
                                         "flags\t\t: fpu vme de pse\n",
                                         4));
  t.write("sys/devices/system/cpu/online", "0-3\n");
  t.write("proc/meminfo", "MemTotal:       65794604 kB\nMemFree:        20000000 kB\n"
                          "MemAvailable:   50000000 kB\nBuffers:          400000 kB\n");
  t.write("proc/driver/nvidia/gpus/0000:3b:00.0/information",
          "Model: \t\t Tesla T4\nIRQ:   \t\t 130\nGPU UUID: \t GPU-5c1e0a6e\nBus Type: \t PCIe\n"
          "Bus Location: \t 0000:3b:00.0\nDevice Minor: \t 0\n");
  t.write("sys/class/drm/card0/device/vendor", "0x10de\n");
  t.write("sys/class/drm/card0/device/device", "0x1eb8\n");
  t.write("sys/class/drm/card0/device/uevent", "DRIVER=nvidia\nPCI_ID=10DE:1EB8\nPCI_SLOT_NAME=0000:3b:00.0\n");
  t.write("sys/class/drm/card1/device/vendor", "0x1002\n");
  t.write("sys/class/drm/card1/device/device", "0x73bf\n");
  t.write("sys/class/drm/card1/device/uevent", "DRIVER=amdgpu\nPCI_SLOT_NAME=0000:5e:00.0\n");
  t.write("sys/class/drm/card1/device/mem_info_vram_total", "17163091968\n");
  t.write("sys/class/drm/card1-DP-1/status", "disconnected\n");
  t.write("sys/class/drm/card2/device/vendor", "0x1a03\n");
  t.write("sys/class/drm/card2/device/device", "0x2000\n");
  t.write("sys/class/drm/card2/device/uevent", "DRIVER=ast\nPCI_SLOT_NAME=0000:03:00.0\n");
}

// A Raspberry Pi 4 on a 64-bit kernel: no "model name", VideoCore DRM devices without a PCI vendor.
void write_raspberry_pi(const FakeTree& t) {
  t.write("proc/sys/kernel/hostname", "pi-line3\n");
  t.write("proc/sys/kernel/osrelease", "6.1.21-v8+\n");
  t.write("proc/sys/kernel/ostype", "Linux\n");
  t.write("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\n");
  t.write("proc/cpuinfo", repeat_cpuinfo("BogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n"
                                         "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\n"
                                         "CPU part\t: 0xd08\nCPU revision\t: 3\n",
                                         4) +
                              "Hardware\t: BCM2835\nRevision\t: c03114\nSerial\t\t: 10000000abcdef01\n"
                              "Model\t\t: Raspberry Pi 4 Model B Rev 1.4\n");
  t.write("sys/firmware/devicetree/base/model", std::string("Raspberry Pi 4 Model B Rev 1.4") + '\0');
  t.write("sys/devices/system/cpu/online", "0-3\n");
  t.write("proc/meminfo", "MemTotal:        3885396 kB\nMemFree:         2850000 kB\n"
                          "MemAvailable:    3350000 kB\n");
  t.write("sys/class/drm/card0/device/uevent", "DRIVER=vc4-drm\nOF_NAME=gpu\nOF_COMPATIBLE_0=brcm,bcm2711-vc5\n");
  t.write("sys/class/drm/card1/device/uevent", "DRIVER=v3d\nOF_NAME=v3d\n");
}

ProbeEnvironment fake_env(const FakeTree& t, const std::string& machine) {
  return {.etc_root = t.etc(), .path = t.root() + "/no-bin", .machine = machine, .probe_runtimes = true};
}

uint64_t fs_total(const std::string& dir) {
  struct statvfs st{};
  EXPECT_EQ(::statvfs(dir.c_str(), &st), 0);
  return uint64_t{st.f_blocks} * st.f_frsize;
}

TEST(ProbeFacts, X86ServerEveryField) {
  FakeTree t("x86");
  write_x86_server(t);
  Probe probe(t.proc(), t.sys(), fake_env(t, "x86_64"));
  auto f = probe.facts(t.root());
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_EQ(f->hostname, "plant-edge-01");
  EXPECT_EQ(f->os, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(f->kernel, "6.1.0-18-amd64");
  EXPECT_EQ(f->arch, "x86_64");
  EXPECT_EQ(f->cpu_model, "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz");
  EXPECT_EQ(f->cores, 4);
  EXPECT_EQ(f->memory_bytes, 65794604ull * 1024);
  EXPECT_EQ(f->disk_bytes, fs_total(t.root()));
  ASSERT_EQ(f->gpus.size(), 2u);
  EXPECT_EQ(f->gpus[0].vendor, "NVIDIA");
  EXPECT_EQ(f->gpus[0].model, "Tesla T4");
  EXPECT_EQ(f->gpus[0].memory_bytes, 0u);
  EXPECT_EQ(f->gpus[1].vendor, "AMD");
  EXPECT_EQ(f->gpus[1].model, "1002:73bf");
  EXPECT_EQ(f->gpus[1].memory_bytes, 17163091968ull);
  EXPECT_FALSE(f->can_run_containers);  // no podman on the fake PATH
  EXPECT_FALSE(f->has_bubblewrap);
}

TEST(ProbeFacts, RaspberryPiEveryField) {
  FakeTree t("pi");
  write_raspberry_pi(t);
  Probe probe(t.proc(), t.sys(), fake_env(t, "aarch64"));
  auto f = probe.facts(t.root());
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_EQ(f->hostname, "pi-line3");
  EXPECT_EQ(f->os, "Debian GNU/Linux 11 (bullseye)");
  EXPECT_EQ(f->kernel, "6.1.21-v8+");
  EXPECT_EQ(f->arch, "aarch64");
  EXPECT_EQ(f->cpu_model, "ARM Cortex-A72");
  EXPECT_EQ(f->cores, 4);
  EXPECT_EQ(f->memory_bytes, 3885396ull * 1024);
  EXPECT_EQ(f->disk_bytes, fs_total(t.root()));
  EXPECT_TRUE(f->gpus.empty());  // vc4/v3d are SoC display blocks, not schedulable GPUs
  EXPECT_FALSE(f->can_run_containers);
  EXPECT_FALSE(f->has_bubblewrap);
}

TEST(ProbeFacts, BoardWithoutCpuNamesUsesDeviceTreeAndOfflineCoresAreNotCounted) {
  FakeTree t("dt");
  write_raspberry_pi(t);
  t.write("proc/cpuinfo", "processor\t: 0\nBogoMIPS\t: 38.40\n\nprocessor\t: 2\nBogoMIPS\t: 38.40\n");
  t.write("sys/devices/system/cpu/online", "0,2\n");
  t.remove("etc/os-release");
  Probe probe(t.proc(), t.sys(), fake_env(t, "armv7l"));
  auto f = probe.facts(t.root());
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_EQ(f->cpu_model, "Raspberry Pi 4 Model B Rev 1.4");
  EXPECT_EQ(f->cores, 2);
  EXPECT_EQ(f->arch, "armv7l");
  EXPECT_EQ(f->os, "Linux");
}

TEST(ProbeFacts, CorruptOnlineMaskIsAnErrorNamingTheFile) {
  FakeTree t("badmask");
  write_x86_server(t);
  t.write("sys/devices/system/cpu/online", "0-z\n");
  Probe probe(t.proc(), t.sys(), fake_env(t, "x86_64"));
  auto f = probe.facts(t.root());
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code(), Errc::invalid_argument);
  EXPECT_NE(f.error().message().find("devices/system/cpu/online"), std::string::npos) << f.error().message();
}

void write_counters(const FakeTree& t, const std::string& cpu_line, uint64_t eth_rx, uint64_t eth_tx) {
  t.write("proc/stat", cpu_line + "\ncpu0 1 1 1 1 1 1 1 1 0 0\nintr 12345\n");
  t.write("proc/net/dev",
          net_dev("    lo: 999999 29 0 0 0 0 0 0 999999 29 0 0 0 0 0 0\n"
                  "  eth0: " + std::to_string(eth_rx) + " 10 0 0 0 0 0 0 " + std::to_string(eth_tx) +
                  " 10 0 0 0 0 0 0\n"
                  " wlan0: 500 1 0 0 0 0 0 0 700 1 0 0 0 0 0 0\n"));
}

TEST(ProbeSample, RatesAndCpuSinceThePreviousSample) {
  FakeTree t("sample");
  write_raspberry_pi(t);
  t.write("proc/loadavg", "1.50 0.75 0.25 3/210 4321\n");
  // Boot so far: busy = 100+0+50+0+10+0 = 160 of total 160+800+40 = 1000 ticks.
  write_counters(t, "cpu  100 0 50 800 40 10 0 0 0 0", 10'000, 4'000);
  ManualClock clock;
  Probe probe(t.proc(), t.sys(), fake_env(t, "aarch64"));

  auto k1 = probe.sample(t.root(), clock);
  ASSERT_TRUE(k1) << k1.error().to_string();
  EXPECT_DOUBLE_EQ(k1->cpu_percent, 16.0);
  EXPECT_DOUBLE_EQ(k1->load1, 1.5);
  EXPECT_DOUBLE_EQ(k1->load5, 0.75);
  EXPECT_DOUBLE_EQ(k1->load15, 0.25);
  EXPECT_EQ(k1->memory_available_bytes, 3350000ull * 1024);
  EXPECT_EQ(k1->memory_used_bytes, (3885396ull - 3350000ull) * 1024);
  EXPECT_EQ(k1->net_rx_bytes, 10'000u + 500);
  EXPECT_EQ(k1->net_tx_bytes, 4'000u + 700);
  EXPECT_EQ(k1->net_rx_rate, 0);
  EXPECT_EQ(k1->net_tx_rate, 0);
  const uint64_t total = fs_total(t.root());
  EXPECT_GT(k1->disk_used_bytes, 0u);
  EXPECT_LE(k1->disk_used_bytes + k1->disk_free_bytes, total);

  // 4 s later: +300 busy of +400 total ticks; eth0 +8000 rx, +2000 tx.
  write_counters(t, "cpu  300 0 100 880 60 60 0 0 0 0", 18'000, 6'000);
  clock.advance(std::chrono::seconds(4));
  auto k2 = probe.sample(t.root(), clock);
  ASSERT_TRUE(k2) << k2.error().to_string();
  EXPECT_DOUBLE_EQ(k2->cpu_percent, 75.0);
  EXPECT_EQ(k2->net_rx_bytes, 18'000u + 500);
  EXPECT_DOUBLE_EQ(k2->net_rx_rate, 2000.0);
  EXPECT_DOUBLE_EQ(k2->net_tx_rate, 500.0);
}

TEST(ProbeSample, FailedSampleKeepsThePreviousCounters) {
  FakeTree t("keep");
  write_raspberry_pi(t);
  t.write("proc/loadavg", "0.00 0.00 0.00 1/1 1\n");
  write_counters(t, "cpu  100 0 50 800 40 10 0 0 0 0", 10'000, 4'000);
  ManualClock clock;
  Probe probe(t.proc(), t.sys(), fake_env(t, "aarch64"));
  ASSERT_TRUE(probe.sample(t.root(), clock));

  clock.advance(std::chrono::seconds(1));
  write_counters(t, "cpu  200 0 50 800 40 10 0 0 0 0", 10'000, 4'000);
  t.write("proc/net/dev", net_dev("  eth0: 12 broken\n"));
  auto bad = probe.sample(t.root(), clock);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("net/dev"), std::string::npos) << bad.error().message();

  // Rates are against the first good sample, 2 s before: +1000 rx over 2 s.
  clock.advance(std::chrono::seconds(1));
  write_counters(t, "cpu  200 0 50 900 40 10 0 0 0 0", 11'000, 4'000);
  auto k = probe.sample(t.root(), clock);
  ASSERT_TRUE(k) << k.error().to_string();
  EXPECT_DOUBLE_EQ(k->net_rx_rate, 500.0);
  EXPECT_DOUBLE_EQ(k->cpu_percent, 50.0);  // +100 busy of +200 total
}

TEST(ProbeSample, CounterThatWentBackGivesZeroRate) {
  FakeTree t("wrap");
  write_raspberry_pi(t);
  t.write("proc/loadavg", "0.00 0.00 0.00 1/1 1\n");
  write_counters(t, "cpu  100 0 50 800 40 10 0 0 0 0", 10'000, 4'000);
  ManualClock clock;
  Probe probe(t.proc(), t.sys(), fake_env(t, "aarch64"));
  ASSERT_TRUE(probe.sample(t.root(), clock));
  write_counters(t, "cpu  100 0 50 900 40 10 0 0 0 0", 100, 4'100);  // eth0 was re-created
  clock.advance(std::chrono::seconds(1));
  auto k = probe.sample(t.root(), clock);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->net_rx_rate, 0);
  EXPECT_DOUBLE_EQ(k->net_tx_rate, 100.0);
  EXPECT_DOUBLE_EQ(k->cpu_percent, 0.0);
}

std::string pid_stat(uint64_t utime, uint64_t stime, uint64_t start) {
  return "4242 (edge filter) S 1 4242 4242 0 -1 4194304 96 0 0 0 " + std::to_string(utime) + " " +
         std::to_string(stime) + " 0 0 20 0 1 0 " + std::to_string(start) + " 3133440 365 0 0 0\n";
}

TEST(ProbeProcess, FirstSinceStartThenSincePreviousThenPidReuse) {
  FakeTree t("proc");
  const double tck = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  // Started 1000 ticks after boot, alive 20 s, 4 s of CPU so far: 20 % of one core.
  const uint64_t start = 1000;
  t.write("proc/uptime", std::to_string(start / tck + 20.0) + " 99.0\n");
  t.write("proc/4242/stat", pid_stat(uint64_t(3 * tck), uint64_t(1 * tck), start));
  t.write("proc/4242/statm", "5000 1234 300 5 0 600 0\n");
  ManualClock clock;
  Probe probe(t.proc(), t.sys());

  auto u1 = probe.process(4242, clock);
  ASSERT_TRUE(u1) << u1.error().to_string();
  EXPECT_NEAR(u1->cpu_percent, 20.0, 1e-9);
  EXPECT_EQ(u1->rss_bytes, 1234 * page);

  // 2 s later with 3 s more CPU: 150 % (one and a half cores).
  t.write("proc/4242/stat", pid_stat(uint64_t(5 * tck), uint64_t(2 * tck), start));
  clock.advance(std::chrono::seconds(2));
  auto u2 = probe.process(4242, clock);
  ASSERT_TRUE(u2);
  EXPECT_NEAR(u2->cpu_percent, 150.0, 1e-9);

  // Same pid, a new process (different start time): since its own start again.
  const uint64_t start2 = start + uint64_t(10 * tck);
  t.write("proc/4242/stat", pid_stat(uint64_t(1 * tck), 0, start2));
  clock.advance(std::chrono::seconds(1));
  auto u3 = probe.process(4242, clock);
  ASSERT_TRUE(u3);
  EXPECT_NEAR(u3->cpu_percent, 100.0 * 1.0 / 10.0, 1e-9);  // alive 10 s, 1 s of CPU
}

TEST(ProbeProcess, GonePidIsNotFound) {
  FakeTree t("gone");
  t.write("proc/uptime", "100.0 99.0\n");
  ManualClock clock;
  Probe probe(t.proc(), t.sys());
  auto u = probe.process(777, clock);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code(), Errc::not_found);
  EXPECT_EQ(probe.process(-1, clock).error().code(), Errc::invalid_argument);
}

TEST(ProbeRealMachine, Sanity) {
  Probe probe;
  auto f = probe.facts(::testing::TempDir());
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_EQ(f->cores, static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)));
  EXPECT_GT(f->memory_bytes, 0u);
  EXPECT_GT(f->disk_bytes, 0u);
  struct utsname u{};
  ASSERT_EQ(::uname(&u), 0);
  EXPECT_EQ(f->kernel, u.release);
  EXPECT_EQ(f->arch, normalise_arch(u.machine));
  EXPECT_FALSE(f->hostname.empty());
  EXPECT_FALSE(f->cpu_model.empty());

  auto k = probe.sample(::testing::TempDir(), SystemClock::instance());
  ASSERT_TRUE(k) << k.error().to_string();
  EXPECT_GE(k->cpu_percent, 0.0);
  EXPECT_LE(k->cpu_percent, 100.0);
  EXPECT_GT(k->memory_available_bytes, 0u);
  EXPECT_EQ(k->memory_used_bytes + k->memory_available_bytes, f->memory_bytes);

  auto self = probe.process(::getpid(), SystemClock::instance());
  ASSERT_TRUE(self) << self.error().to_string();
  EXPECT_GT(self->rss_bytes, 0u);
}

}  // namespace
}  // namespace iotwins::sysinfo
