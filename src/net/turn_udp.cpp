#include "net/turn_udp.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sb::net {

namespace {

constexpr std::array<std::uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int set_int_option(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value);
}

}  // namespace

stun::TransportAddress from_sockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
    return stun::TransportAddress::v4(ntohl(sin.sin_addr.s_addr), ntohs(sin.sin_port));
  }
  const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
  std::array<std::uint8_t, 16> ip{};
  std::memcpy(ip.data(), &sin6.sin6_addr, 16);
  if (std::memcmp(ip.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size()) == 0) {
    return stun::TransportAddress::v4({ip[12], ip[13], ip[14], ip[15]}, ntohs(sin6.sin6_port));
  }
  return stun::TransportAddress::v6(ip, ntohs(sin6.sin6_port));
}

socklen_t to_sockaddr(const stun::TransportAddress& a, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof(sockaddr_in6));
  if (a.is_v4()) {
    auto& sin = reinterpret_cast<sockaddr_in&>(out);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(a.port);
    std::memcpy(&sin.sin_addr, a.ip.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(out);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(a.port);
  std::memcpy(&sin6.sin6_addr, a.ip.data(), 16);
  return sizeof(sockaddr_in6);
}

int open_udp_socket(const stun::TransportAddress& local, bool reuse_port, std::string& error) {
  const int family = local.is_v4() ? AF_INET : AF_INET6;
  const int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  if (family == AF_INET6) set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
  if (reuse_port && set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1) != 0) {
    error = std::string("SO_REUSEPORT: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  // Large buffers absorb bursts between two epoll_wait rounds; the kernel caps them at rmem_max/wmem_max.
  set_int_option(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20);
  set_int_option(fd, SOL_SOCKET, SO_SNDBUF, 4 << 20);
  sockaddr_storage ss{};
  const socklen_t len = to_sockaddr(local, ss);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    error = "bind " + local.to_string() + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

std::uint16_t local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  return from_sockaddr(ss).port;
}

// ---- RecvBatch ----

struct RecvBatch::Storage {
  std::array<std::array<std::uint8_t, kMaxDatagram>, kBatch> buffers;
  std::array<iovec, kBatch> iov;
  std::array<sockaddr_storage, kBatch> addrs;
};

RecvBatch::RecvBatch(std::size_t headroom, std::size_t tailroom)
    : s_(std::make_unique<Storage>()), headroom_(headroom) {
  for (std::size_t i = 0; i < kBatch; ++i) {
    s_->iov[i] = iovec{s_->buffers[i].data() + headroom, kMaxDatagram - headroom - tailroom};
    msgs_[i].msg_hdr.msg_iov = &s_->iov[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
}

RecvBatch::~RecvBatch() = default;

std::size_t RecvBatch::receive(int fd) {
  for (std::size_t i = 0; i < kBatch; ++i) {
    // recvmmsg writes back the address length and flags; reset them for every call.
    msgs_[i].msg_hdr.msg_name = &s_->addrs[i];
    msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    msgs_[i].msg_hdr.msg_flags = 0;
  }
  const int n = ::recvmmsg(fd, msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

Datagram RecvBatch::at(std::size_t i) const {
  return Datagram{{s_->buffers[i].data() + headroom_, msgs_[i].msg_len}, from_sockaddr(s_->addrs[i])};
}

std::span<std::uint8_t> RecvBatch::buffer(std::size_t i) { return s_->buffers[i]; }

// ---- SendBatch ----

struct SendBatch::Storage {
  std::array<std::array<std::uint8_t, kMaxDatagram>, kBatch> buffers;
  std::array<iovec, kBatch> iov;
  std::array<sockaddr_storage, kBatch> addrs;
};

SendBatch::SendBatch() : s_(std::make_unique<Storage>()) {
  for (std::size_t i = 0; i < kBatch; ++i) {
    msgs_[i].msg_hdr.msg_iov = &s_->iov[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_hdr.msg_name = &s_->addrs[i];
  }
}

SendBatch::~SendBatch() = default;

bool SendBatch::push(int fd, const stun::TransportAddress& to, std::span<const std::uint8_t> head,
                     std::span<const std::uint8_t> body) {
  const std::size_t size = head.size() + body.size();
  if (size > kMaxDatagram) {
    ++dropped_;
    return false;
  }
  if (count_ == kBatch || (count_ > 0 && fd != fd_)) flush();
  fd_ = fd;
  auto& buf = s_->buffers[count_];
  if (!head.empty()) std::memcpy(buf.data(), head.data(), head.size());
  if (!body.empty()) std::memcpy(buf.data() + head.size(), body.data(), body.size());
  s_->iov[count_] = iovec{buf.data(), size};
  msgs_[count_].msg_hdr.msg_namelen = to_sockaddr(to, s_->addrs[count_]);
  ++count_;
  return true;
}

void SendBatch::flush() {
  std::size_t sent = 0;
  while (sent < count_) {
    const int n = ::sendmmsg(fd_, msgs_.data() + sent, static_cast<unsigned>(count_ - sent), MSG_DONTWAIT);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      // EAGAIN (buffer full) or a per-destination error: drop the head datagram and go on with the rest.
      ++dropped_;
      ++sent;
      continue;
    }
    sent += static_cast<std::size_t>(n);
  }
  count_ = 0;
}

}  // namespace sb::net
