// Starts the real OpenID provider of tests/iam/oidc (oidc-provider on node) on a free
// loopback port. When tests/iam/oidc/node_modules is missing, installs the pinned packages with
// `npm ci` into a temporary copy first. Synchronises on the provider's "READY <port>" line,
// read from a FIFO, so nothing sleeps.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "core/process.h"
#include "core/result.h"

namespace iotwins::iam::testutil {

class OidcProvider {
 public:
  static Result<std::unique_ptr<OidcProvider>> start() {
    namespace fs = std::filesystem;
    std::string src = std::string(IOTWINS_SOURCE_DIR) + "/tests/iam/oidc";
    std::string work = ::testing::TempDir() + "/oidc-provider-" + std::to_string(::getpid());
    fs::remove_all(work);
    fs::create_directories(work);
    std::string dir = src;
    if (!fs::exists(src + "/node_modules/oidc-provider/package.json")) {
      for (const char* f : {"package.json", "package-lock.json", "provider.mjs"}) fs::copy_file(src + "/" + f, work + "/" + f);
      auto npm = Process::spawn({.argv = {"npm", "ci", "--no-audit", "--no-fund"}, .working_dir = work,
                                 .stdout_path = work + "/npm.log", .stderr_path = "stdout"});
      if (!npm) return std::unexpected(npm.error());
      ExitStatus st = npm->wait();
      if (!st.exited() || st.code != 0) {
        return make_error(Errc::unavailable, "npm ci for the test OpenID provider failed: " + slurp(work + "/npm.log"));
      }
      dir = work;
    }
    std::unique_ptr<OidcProvider> p(new OidcProvider());
    p->stderr_path_ = work + "/provider.err";
    std::string fifo = work + "/ready.fifo";
    if (::mkfifo(fifo.c_str(), 0600) != 0) return errno_error("mkfifo " + fifo, errno);
    // Open our end first without blocking, so the child's open for writing does not block.
    int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return errno_error("open " + fifo, errno);
    auto proc = Process::spawn({.argv = {"node", dir + "/provider.mjs"}, .working_dir = dir,
                                .stdout_path = fifo, .stderr_path = p->stderr_path_});
    if (!proc) {
      ::close(fd);
      return std::unexpected(proc.error());
    }
    p->process_ = std::move(*proc);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    std::string line;
    char c;
    while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
    p->fifo_fd_ = fd;  // kept open: the provider's stdout must not break
    if (!line.starts_with("READY ")) {
      return make_error(Errc::unavailable, "the test OpenID provider did not start: " + slurp(p->stderr_path_));
    }
    p->port_ = std::stoi(line.substr(6));
    return p;
  }

  ~OidcProvider() {
    process_.stop(std::chrono::seconds(5));
    if (fifo_fd_ >= 0) ::close(fifo_fd_);
  }

  std::string issuer() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  OidcProvider() = default;
  static std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  Process process_;
  int fifo_fd_ = -1;
  int port_ = 0;
  std::string stderr_path_;
};

}  // namespace iotwins::iam::testutil
