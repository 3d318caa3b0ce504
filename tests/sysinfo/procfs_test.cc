#include "sysinfo/procfs.h"

#include <gtest/gtest.h>

#include "sysinfo/sysinfo.h"

namespace iotwins::sysinfo::procfs {
namespace {

TEST(Meminfo, ReadsTotalAndAvailableInBytes) {
  auto m = parse_meminfo("MemTotal:       16303428 kB\nMemFree:         1234567 kB\n"
                         "MemAvailable:   12000000 kB\nBuffers:          100 kB\n");
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->total, 16303428ull * 1024);
  EXPECT_EQ(m->available, 12000000ull * 1024);
}

TEST(Meminfo, OldKernelsWithoutMemAvailableUseFreePlusCaches) {
  auto m = parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->available, 420ull * 1024);
}

TEST(Meminfo, MissingTotalIsAnError) {
  auto m = parse_meminfo("MemFree: 100 kB\n");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), Errc::invalid_argument);
  EXPECT_NE(m.error().message().find("MemTotal"), std::string::npos);
}

TEST(CpuStat, BusyExcludesIdleAndIowaitAndGuestIsNotCountedTwice) {
  // user nice system idle iowait irq softirq steal guest guest_nice
  auto t = parse_cpu_stat("cpu  100 5 50 1000 20 3 2 1 40 0\ncpu0 1 1 1 1 1 1 1 1 0 0\n");
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->total, 100u + 5 + 50 + 1000 + 20 + 3 + 2 + 1);
  EXPECT_EQ(t->busy, 100u + 5 + 50 + 3 + 2 + 1);
}

TEST(CpuStat, BadNumberAndMissingLineAreErrors) {
  EXPECT_FALSE(parse_cpu_stat("cpu  1 2 x 4\n"));
  EXPECT_FALSE(parse_cpu_stat("cpu0 1 2 3 4\n"));
  EXPECT_FALSE(parse_cpu_stat("cpu  1 2\n"));
}

TEST(LoadAvg, ThreeNumbers) {
  auto l = parse_loadavg("0.74 0.35 0.15 2/103 8287\n");
  ASSERT_TRUE(l);
  EXPECT_DOUBLE_EQ(l->load1, 0.74);
  EXPECT_DOUBLE_EQ(l->load5, 0.35);
  EXPECT_DOUBLE_EQ(l->load15, 0.15);
  EXPECT_FALSE(parse_loadavg("0.74 zero\n"));
}

TEST(NetDev, SumsEveryInterfaceButLoopback) {
  std::string text =
      "Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n"
      "    lo:    3267      29    0    0    0     0          0         0     3267      29    0    0    0     0       0          0\n"
      "  eth0: 50226136    1850    0    0    0     0          0         0   109131    1527    0    0    0     0       0          0\n"
      " wlan0:1000 1 0 0 0 0 0 0 2000 2 0 0 0 0 0 0\n";
  auto n = parse_net_dev(text);
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(n->rx, 50226136u + 1000);
  EXPECT_EQ(n->tx, 109131u + 2000);
}

TEST(NetDev, TruncatedLineNamesTheLine) {
  auto n = parse_net_dev("h|\nh|\n  eth0: 1 2 3\n");
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message().find("line 3"), std::string::npos) << n.error().message();
}

TEST(CpuList, CountsRangesAndSingles) {
  EXPECT_EQ(*parse_cpu_list("0-1\n"), 2);
  EXPECT_EQ(*parse_cpu_list("0-3,6,8-9\n"), 7);
  EXPECT_EQ(*parse_cpu_list("0"), 1);
  EXPECT_FALSE(parse_cpu_list("3-1"));
  EXPECT_FALSE(parse_cpu_list(""));
  EXPECT_FALSE(parse_cpu_list("0-x"));
}

TEST(PidStat, CommandNameWithSpacesAndParens) {
  auto st = parse_pid_stat(
      "4242 (my task) x)) S 1 4242 4242 0 -1 4194304 96 0 0 0 300 100 0 0 20 0 1 0 1000 3133440 365 "
      "18446744073709551615 0 0 0\n");
  ASSERT_TRUE(st) << st.error().to_string();
  EXPECT_EQ(st->utime, 300u);
  EXPECT_EQ(st->stime, 100u);
  EXPECT_EQ(st->start_time, 1000u);
  EXPECT_FALSE(parse_pid_stat("4242 (x) S 1 2 3\n"));
  EXPECT_FALSE(parse_pid_stat("4242 no parens"));
}

TEST(Statm, ResidentPages) {
  EXPECT_EQ(*parse_statm_resident("765 404 376 5 0 123 0\n"), 404u);
  EXPECT_FALSE(parse_statm_resident("765\n"));
}

TEST(Uptime, FirstField) {
  EXPECT_DOUBLE_EQ(*parse_uptime("1448.22 2720.97\n"), 1448.22);
  EXPECT_FALSE(parse_uptime("soon\n"));
}

TEST(CpuModel, X86ModelName) {
  EXPECT_EQ(parse_cpu_model("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) "
                            "Gold 6230 CPU @ 2.10GHz\n"),
            "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz");
}

TEST(CpuModel, ArmCoreFromImplementerAndPart) {
  EXPECT_EQ(parse_cpu_model("processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd08\n"
                            "Hardware\t: BCM2835\n"),
            "ARM Cortex-A72");
  EXPECT_EQ(parse_cpu_model("CPU implementer\t: 0x51\nCPU part\t: 0x805\n"),
            "CPU implementer 0x51 part 0x805");
}

TEST(CpuModel, FallsBackToHardwareThenRiscvThenNothing) {
  EXPECT_EQ(parse_cpu_model("Processor\t: ARMv7 Processor rev 4 (v7l)\nHardware\t: BCM2709\n"), "BCM2709");
  EXPECT_EQ(parse_cpu_model("processor\t: 0\nisa\t\t: rv64imafdc\nuarch\t\t: sifive,u74-mc\n"),
            "sifive,u74-mc");
  EXPECT_EQ(parse_cpu_model("processor\t: 0\n"), "");
}

TEST(OsRelease, PrettyNameUnquoted) {
  EXPECT_EQ(parse_os_release("NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"),
            "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(parse_os_release("ID=alpine\n"), "");
}

TEST(Arch, NormalisedNames) {
  EXPECT_EQ(normalise_arch("x86_64"), "x86_64");
  EXPECT_EQ(normalise_arch("amd64"), "x86_64");
  EXPECT_EQ(normalise_arch("arm64"), "aarch64");
  EXPECT_EQ(normalise_arch("aarch64"), "aarch64");
  EXPECT_EQ(normalise_arch("armv7l"), "armv7l");
  EXPECT_EQ(normalise_arch("armv8l"), "armv7l");
  EXPECT_EQ(normalise_arch("armv6l"), "armv6l");
  EXPECT_EQ(normalise_arch("i386"), "i686");
  EXPECT_EQ(normalise_arch("riscv64"), "riscv64");
}

}  // namespace
}  // namespace iotwins::sysinfo::procfs
