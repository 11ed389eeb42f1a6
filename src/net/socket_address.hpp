// The kernel side of addresses, shared by every UDP listener (STUN and TURN): sockaddr <-> the codec's
// TransportAddress, and UDP socket set-up.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "stun/address.hpp"

namespace sb::net {

// IPv4-mapped IPv6 source addresses (from a dual-stack socket) are reduced to IPv4, so one client has one
// 5-tuple and the peer policy judges it as IPv4.
stun::TransportAddress from_sockaddr(const sockaddr_storage& ss);
socklen_t to_sockaddr(const stun::TransportAddress& a, sockaddr_storage& out);

struct UdpSocketOptions {
  bool reuse_port = false;     // SO_REUSEPORT: one socket per worker on a shared port
  bool nonblocking = true;     // epoll-driven workers
  int buffer_bytes = 4 << 20;  // SO_RCVBUF / SO_SNDBUF request: absorbs bursts; the kernel caps it
};

// A UDP socket bound to `local`; IPv6 sockets are IPV6_V6ONLY, so "0.0.0.0:P" and "[::]:P" can be bound
// side by side. Returns -1 and sets `error` on failure.
int open_udp_socket(const stun::TransportAddress& local, const UdpSocketOptions& options, std::string& error);
struct TcpSocketOptions {
  bool reuse_port = false;  // SO_REUSEPORT: one listener per worker on a shared port
  bool nonblocking = false;
  int listen_backlog = 0;   // > 0: listen() with this backlog
};

// A TCP socket bound to `local` (IPv6 sockets are IPV6_V6ONLY; SO_REUSEADDR is always set). Returns -1 and
// sets `error` on failure.
int open_tcp_socket(const stun::TransportAddress& local, const TcpSocketOptions& options, std::string& error);

// The address a socket is bound to (resolves port 0); port 0 if the kernel cannot say.
stun::TransportAddress bound_address(int fd);

// Checks that nobody holds `a` for `type` (SOCK_DGRAM or SOCK_STREAM) before workers share it through
// SO_REUSEPORT, which would otherwise let a second server on the same port split the clients silently.
// Port 0 becomes the port the kernel chose. Returns an error ("... (another process holds it)") or "".
std::string claim_port(stun::TransportAddress& a, int type);

}  // namespace sb::net
