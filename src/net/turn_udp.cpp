#include "net/turn_udp.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sb::net {

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

std::size_t RecvBatch::receive(int fd, bool wait) {
  for (std::size_t i = 0; i < kBatch; ++i) {
    // recvmmsg writes back the address length and flags; reset them for every call.
    msgs_[i].msg_hdr.msg_name = &s_->addrs[i];
    msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    msgs_[i].msg_hdr.msg_flags = 0;
  }
  const int n = ::recvmmsg(fd, msgs_.data(), kBatch, wait ? MSG_WAITFORONE : MSG_DONTWAIT, nullptr);
  // A receive woken by a shutdown hands back one empty message with no sender: not a datagram.
  std::size_t got = n > 0 ? static_cast<std::size_t>(n) : 0;
  while (got > 0 && msgs_[got - 1].msg_hdr.msg_namelen == 0) --got;
  return got;
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
