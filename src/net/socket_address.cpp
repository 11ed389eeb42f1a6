#include "net/socket_address.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace sb::net {
namespace {

int set_int_option(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value);
}

// Binds `fd` to `a`; on failure closes it and sets `error` ("bind udp|tcp ADDR: reason").
bool bind_or_close(int fd, const stun::TransportAddress& a, const char* proto, std::string& error) {
  sockaddr_storage ss{};
  const socklen_t len = to_sockaddr(a, ss);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) == 0) return true;
  error = std::string("bind ") + proto + " " + a.to_string() + ": " + std::strerror(errno);
  ::close(fd);
  return false;
}

}  // namespace

stun::TransportAddress from_sockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
    return stun::TransportAddress::v4(ntohl(sin.sin_addr.s_addr), ntohs(sin.sin_port));
  }
  const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
  // An IPv4-mapped source is IPv4 by construction: util::IpAddress keeps IPv4 in that form.
  stun::TransportAddress a{util::IpAddress{}, ntohs(sin6.sin6_port)};
  std::memcpy(a.ip.bytes.data(), &sin6.sin6_addr, 16);
  return a;
}

socklen_t to_sockaddr(const stun::TransportAddress& a, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof(sockaddr_in6));  // not the whole storage: this runs per packet
  if (a.is_v4()) {
    auto& sin = reinterpret_cast<sockaddr_in&>(out);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(a.port);
    std::memcpy(&sin.sin_addr, a.ip_bytes().data(), 4);
    return sizeof(sockaddr_in);
  }
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(out);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(a.port);
  std::memcpy(&sin6.sin6_addr, a.ip.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

int open_udp_socket(const stun::TransportAddress& local, const UdpSocketOptions& options, std::string& error) {
  const int family = local.is_v4() ? AF_INET : AF_INET6;
  const int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC | (options.nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  if (family == AF_INET6) set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
  if (options.reuse_port && set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1) != 0) {
    error = std::string("SO_REUSEPORT: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  set_int_option(fd, SOL_SOCKET, SO_RCVBUF, options.buffer_bytes);
  set_int_option(fd, SOL_SOCKET, SO_SNDBUF, options.buffer_bytes);
  return bind_or_close(fd, local, "udp", error) ? fd : -1;
}

int open_tcp_socket(const stun::TransportAddress& local, const TcpSocketOptions& options, std::string& error) {
  const int fd = ::socket(local.is_v4() ? AF_INET : AF_INET6,
                          SOCK_STREAM | SOCK_CLOEXEC | (options.nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  if (!local.is_v4()) set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
  // SO_REUSEADDR: TIME_WAIT leftovers of an earlier run do not block the port; a live listener still does.
  set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  if (options.reuse_port) set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1);
  if (!bind_or_close(fd, local, "tcp", error)) return -1;
  if (options.listen_backlog > 0 && ::listen(fd, options.listen_backlog) != 0) {
    error = "listen tcp " + local.to_string() + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

stun::TransportAddress bound_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return from_sockaddr(ss);
}

// Binds a throw-away socket to `a` WITHOUT SO_REUSEPORT and closes it; for port 0, `a` takes the port the
// kernel chose. Why: the workers share each port through SO_REUSEPORT, which lets any process of the
// same user join the group — a second signalbox (or coturn) started on the same port would silently
// share it, and the kernel would spread clients over two servers with different secrets and allocations
// (401 and 437 at random). A socket that does not ask to share fails with EADDRINUSE while anyone holds
// the port, so this turns "in use" into a start-up error, as a plain bind would.
std::string claim_port(stun::TransportAddress& a, int type) {
  std::string error;
  const int fd = type == SOCK_STREAM ? open_tcp_socket(a, TcpSocketOptions{}, error)
                                     : open_udp_socket(a, UdpSocketOptions{.buffer_bytes = 0}, error);
  if (fd < 0) {
    const bool in_use = error.find(std::strerror(EADDRINUSE)) != std::string::npos;
    return in_use ? error + " (another process holds it)" : error;
  }
  if (a.port == 0) a.port = bound_address(fd).port;
  ::close(fd);
  return {};
}

}  // namespace sb::net
