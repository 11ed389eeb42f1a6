#include "common/ports.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "net/socket_address.hpp"

namespace sb::itest {
namespace {

// A socket of `type` bound to ip:port (port 0: the kernel's pick), without SO_REUSEADDR: while it lives no
// one else binds the port; -1 when the bind fails.
int bound_socket(int type, const std::string& ip, std::uint16_t port) {
  const auto address = stun::TransportAddress::parse(ip + ":" + std::to_string(port));
  if (!address || !address->is_v4()) throw std::runtime_error("not an IPv4 address: " + ip);
  sockaddr_storage ss{};
  const socklen_t len = net::to_sockaddr(*address, ss);
  const int fd = ::socket(AF_INET, type, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::uint16_t port_of(int fd) {
  const std::uint16_t port = net::bound_address(fd).port;
  if (port == 0) throw std::runtime_error("getsockname() failed");
  return port;
}

// Whether ip:port can be bound for both UDP and TCP right now.
bool free_for_both(const std::string& ip, std::uint16_t port) {
  for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
    const int fd = bound_socket(type, ip, port);
    if (fd < 0) return false;
    ::close(fd);
  }
  return true;
}

}  // namespace

std::vector<std::uint16_t> free_ports(std::size_t count, const std::vector<std::string>& ips) {
  if (ips.empty()) throw std::invalid_argument("free_ports: no address");
  std::vector<std::uint16_t> ports;
  // The kernel's picks for UDP on the first address, kept only when free for UDP and TCP on every address.
  for (int tries = 0; ports.size() < count; ++tries) {
    if (tries == 100) throw std::runtime_error("no port free for both UDP and TCP in 100 tries");
    const int fd = bound_socket(SOCK_DGRAM, ips[0], 0);
    if (fd < 0) throw std::runtime_error("cannot bind a UDP socket on " + ips[0]);
    const std::uint16_t port = port_of(fd);
    ::close(fd);
    if (std::find(ports.begin(), ports.end(), port) != ports.end()) continue;
    if (std::all_of(ips.begin(), ips.end(), [&](const std::string& ip) { return free_for_both(ip, port); })) {
      ports.push_back(port);
    }
  }
  return ports;
}

std::unique_ptr<ServerProcess> start_on_free_ports(
    std::size_t count, const std::vector<std::string>& ips,
    const std::function<ServerOptions(const std::vector<std::uint16_t>&)>& make, int attempts) {
  for (int attempt = 1;; ++attempt) {
    try {
      return std::make_unique<ServerProcess>(make(free_ports(count, ips)));
    } catch (const std::runtime_error& e) {
      const bool port_taken = std::string(e.what()).find("Address already in use") != std::string::npos;
      if (!port_taken || attempt >= attempts) throw;
    }
  }
}

RefusingPort::RefusingPort() {
  fd_ = bound_socket(SOCK_STREAM, "127.0.0.1", 0);
  if (fd_ < 0) throw std::runtime_error("cannot reserve a TCP port");
  port_ = port_of(fd_);
}

RefusingPort::~RefusingPort() { ::close(fd_); }

}  // namespace sb::itest
