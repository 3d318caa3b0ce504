#include "runtime/health.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/process.h"

namespace iotwins::runtime {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Status unhealthy(const std::string& what) { return make_error(Errc::unavailable, what); }

Status connect_local(const Fd& fd, int port, Clock::time_point deadline) {
  std::string where = "127.0.0.1:" + std::to_string(port);
  if (fd.get() < 0) return errno_error("socket", errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (rc != 0 && errno != EINPROGRESS) return unhealthy("connect " + where + ": " + std::strerror(errno));
  if (rc != 0) {
    pollfd p{fd.get(), POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return unhealthy("connect " + where + ": timed out");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return unhealthy("connect " + where + ": " + std::strerror(err));
  }
  return ok();
}

Status http_get(const Fd& fd, const HealthCheck& check, Clock::time_point deadline) {
  std::string request = "GET " + check.path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: iotwins-health\r\n\r\n";
  for (size_t sent = 0; sent < request.size();) {
    pollfd p{fd.get(), POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return unhealthy("http " + check.path + ": send timed out");
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return unhealthy("http " + check.path + ": send failed");
    sent += static_cast<size_t>(n);
  }
  std::string head;
  while (head.find("\r\n") == std::string::npos && head.size() < 1024) {
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return unhealthy("http " + check.path + ": no answer in time");
    char buf[256];
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) return unhealthy("http " + check.path + ": connection closed before a status line");
    head.append(buf, static_cast<size_t>(n));
  }
  // "HTTP/1.x 200 OK"
  int status = 0;
  if (std::sscanf(head.c_str(), "HTTP/%*d.%*d %d", &status) != 1) return unhealthy("http " + check.path + ": not HTTP");
  if (status < 200 || status >= 400) return unhealthy("http " + check.path + ": status " + std::to_string(status));
  return ok();
}

}  // namespace

Status run_health_check(const HealthCheck& check, const std::string& workdir) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(check.timeout_ms);
  switch (check.kind) {
    case HealthKind::none:
      return ok();
    case HealthKind::tcp:
    case HealthKind::http: {
      Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      IOT_TRY(connect_local(fd, check.port, deadline));
      if (check.kind == HealthKind::tcp) return ok();
      return http_get(fd, check, deadline);
    }
    case HealthKind::command: {
      auto child = Process::spawn({.argv = check.command, .working_dir = workdir, .stdout_path = "/dev/null",
                                   .stderr_path = "stdout"});
      if (!child) return unhealthy("health command: " + child.error().message());
      auto st = child->wait_for(std::chrono::milliseconds(remaining_ms(deadline)));
      if (!st) {
        child->stop(std::chrono::milliseconds(100));
        return unhealthy("health command timed out after " + std::to_string(check.timeout_ms) + " ms");
      }
      if (!st->exited() || st->code != 0) return unhealthy("health command " + st->to_string());
      return ok();
    }
  }
  return ok();
}

}  // namespace iotwins::runtime
