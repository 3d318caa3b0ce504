#include "sysinfo/runtime.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace iotwins::sysinfo {
namespace {

class RuntimeProbe : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = ::testing::TempDir() + "sysinfo-bin-" + std::to_string(::getpid());
    std::filesystem::remove_all(bin_);
    std::filesystem::create_directories(bin_);
  }
  void TearDown() override { std::filesystem::remove_all(bin_); }

  // A fake runtime: records its arguments, exits with code.
  void tool(const std::string& name, int code) {
    std::string path = bin_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\necho \"$@\" > \"$0.args\"\nexit " << code << "\n";
    ::chmod(path.c_str(), 0755);
  }
  std::string args(const std::string& name) {
    std::ifstream in(bin_ + "/" + name + ".args");
    std::string line;
    std::getline(in, line);
    return line;
  }

  std::string bin_;
};

TEST_F(RuntimeProbe, NothingOnPath) {
  RuntimeSupport s = probe_runtimes(bin_);
  EXPECT_FALSE(s.can_run_containers);
  EXPECT_FALSE(s.has_bubblewrap);
}

TEST_F(RuntimeProbe, PresentButFailingToStartIsNotSupport) {
  tool("podman", 126);  // what crun's setrlimit failure looks like to the caller
  tool("bwrap", 1);
  RuntimeSupport s = probe_runtimes("/nonexistent:" + bin_);
  EXPECT_FALSE(s.can_run_containers);
  EXPECT_FALSE(s.has_bubblewrap);
  EXPECT_EQ(args("podman"), "run --rm --network=none --rootfs / /bin/true");
}

TEST_F(RuntimeProbe, StartingRuntimesAreSupport) {
  tool("podman", 0);
  tool("bwrap", 0);
  RuntimeSupport s = probe_runtimes(bin_);
  EXPECT_TRUE(s.can_run_containers);
  EXPECT_TRUE(s.has_bubblewrap);
  EXPECT_NE(args("bwrap").find("--ro-bind / /"), std::string::npos);
}

TEST(FindInPath, FirstExecutableMatch) {
  EXPECT_EQ(find_in_path("sh", "/nonexistent:/bin:/usr/bin"), std::optional<std::string>("/bin/sh"));
  EXPECT_FALSE(find_in_path("no-such-tool-xyz", "/bin:/usr/bin"));
  EXPECT_FALSE(find_in_path("sh", ""));
}

}  // namespace
}  // namespace iotwins::sysinfo
