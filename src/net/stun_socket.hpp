// Small socket helpers for the STUN listeners: sockaddr <-> stun::TransportAddress and socket set-up.
// Kept in their own namespace so they never collide with the TURN front end's equivalents.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "stun/address.hpp"

namespace sb::net::stun_io {

// IPv4-mapped IPv6 forms are reduced to IPv4.
stun::TransportAddress from_sockaddr(const sockaddr_storage& ss);
socklen_t to_sockaddr(const stun::TransportAddress& a, sockaddr_storage& out);

struct SocketOptions {
  bool reuse_port = false;     // SO_REUSEPORT: one socket per worker on a shared port
  int buffer_bytes = 4 << 20;  // SO_RCVBUF / SO_SNDBUF request (the kernel caps it)
  int receive_timeout_ms = 0;  // SO_RCVTIMEO, so blocking receivers notice stop() (0 = none)
};

// A UDP socket bound to `local` (IPv6 sockets are IPV6_V6ONLY). Returns -1 and sets `error` on failure.
int open_udp(const stun::TransportAddress& local, const SocketOptions& options, std::string& error);
// The address a socket is bound to (resolves port 0).
stun::TransportAddress bound_address(int fd);

}  // namespace sb::net::stun_io
