// `iotwins up`: every port it will listen on is checked before anything starts, so a taken one
// gives one clear message (which component, which port, the flag that moves it) instead of a
// component dying in its log.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/up.h"

namespace iotwins::cli {

Status check_port_free(const std::string& host, int port, const std::string& what, const std::string& way_out) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  std::string ip = host.empty() || host == "localhost" ? "127.0.0.1" : host;
  if (::inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) return ok();  // a name or IPv6: the component reports it
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return make_error(Errc::unavailable, "socket: " + std::string(std::strerror(errno)));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as the server and Mosquitto bind
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  int err = errno;
  ::close(fd);
  if (rc == 0) return ok();
  return make_error(Errc::unavailable, what + " cannot listen on " + ip + ":" + std::to_string(port) + ": " +
                                           std::strerror(err) +
                                           "\n  another process uses it (is another 'iotwins up' running? see: ss -ltnp "
                                           "'sport = :" + std::to_string(port) + "')\n  stop it, or " + way_out);
}

}  // namespace iotwins::cli
