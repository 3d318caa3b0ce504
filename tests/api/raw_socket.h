// A raw TCP client for sending exactly the bytes a test wants (malformed, slow, oversized).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace iotwins::api::testing_support {

class RawSocket {
 public:
  explicit RawSocket(const std::string& address) {
    size_t colon = address.rfind(':');
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
    inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  ~RawSocket() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& data) { (void)!::write(fd_, data.data(), data.size()); }
  // Reads until the peer closes the connection (or `limit` bytes).
  std::string read_all(size_t limit = 1 << 20) {
    std::string out;
    char buf[4096];
    while (out.size() < limit) {
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

}  // namespace iotwins::api::testing_support
