// A fake /proc + /sys + /etc tree in a temp dir, written from samples recorded on real machines.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace iotwins::sysinfo::testing_support {

class FakeTree {
 public:
  explicit FakeTree(const std::string& name)
      : root_(::testing::TempDir() + "sysinfo-" + name + "-" + std::to_string(::getpid())) {
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  ~FakeTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::string proc() const { return root_ + "/proc"; }
  std::string sys() const { return root_ + "/sys"; }
  std::string etc() const { return root_ + "/etc"; }
  const std::string& root() const { return root_; }

  // Writes root/relative, creating parent dirs.
  void write(const std::string& relative, const std::string& content) const {
    std::filesystem::path p = root_ + "/" + relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
  }
  void remove(const std::string& relative) const { std::filesystem::remove_all(root_ + "/" + relative); }

 private:
  std::string root_;
};

// /proc/net/dev with the kernel's two header lines.
inline std::string net_dev(const std::string& rows) {
  return "Inter-|   Receive                                                |  Transmit\n"
         " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop "
         "fifo colls carrier compressed\n" +
         rows;
}

}  // namespace iotwins::sysinfo::testing_support
