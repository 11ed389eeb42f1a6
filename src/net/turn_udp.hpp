// UDP plumbing of the TURN relay's data path: batched receive / send with recvmmsg / sendmmsg over buffers
// allocated once per worker (no heap allocation per packet). Socket set-up is in net/socket_address.hpp.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "net/socket_address.hpp"
#include "stun/address.hpp"

namespace sb::net {

// One datagram's worth of metadata in a batch.
struct Datagram {
  std::span<const std::uint8_t> bytes;
  stun::TransportAddress from;
};

// Receives up to kBatch datagrams per syscall into buffers owned by this object.
class RecvBatch {
 public:
  static constexpr std::size_t kBatch = 64;
  static constexpr std::size_t kMaxDatagram = 2048;  // larger datagrams are truncated and dropped

  // Each datagram lands `headroom` bytes into its buffer and leaves `tailroom` bytes after the largest
  // datagram accepted, so a header can be written in front of it in place (TURN Data indications).
  explicit RecvBatch(std::size_t headroom = 0, std::size_t tailroom = 0);
  ~RecvBatch();
  RecvBatch(const RecvBatch&) = delete;
  RecvBatch& operator=(const RecvBatch&) = delete;
  // recvmmsg(MSG_DONTWAIT); returns the number received (0 when none or on error). With `wait`,
  // recvmmsg(MSG_WAITFORONE) instead: on a blocking socket it sleeps until the first datagram (or the
  // socket's receive timeout, or a shutdown) and then takes what else is there.
  std::size_t receive(int fd, bool wait = false);
  // Datagram i of the last receive(); bytes are valid until the next receive().
  Datagram at(std::size_t i) const;
  // The whole buffer of datagram i (headroom + datagram + the rest); the datagram starts at headroom().
  std::span<std::uint8_t> buffer(std::size_t i);
  std::size_t headroom() const { return headroom_; }
  bool truncated(std::size_t i) const { return (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }

 private:
  struct Storage;
  std::unique_ptr<Storage> s_;
  std::array<mmsghdr, kBatch> msgs_{};
  std::size_t headroom_;
};

// Queues datagrams for one socket and flushes them with sendmmsg. Payloads are copied into buffers owned
// by this object, so callers may reuse theirs at once.
class SendBatch {
 public:
  static constexpr std::size_t kBatch = 32;
  static constexpr std::size_t kMaxDatagram = 2048;

  SendBatch();
  ~SendBatch();
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;
  // Copies `head` then `body` (a header and a payload, to avoid an intermediate copy) as one datagram to
  // `to`. Flushes first when full. False when the datagram is larger than kMaxDatagram.
  bool push(int fd, const stun::TransportAddress& to, std::span<const std::uint8_t> head,
            std::span<const std::uint8_t> body = {});
  // Sends everything queued (dropping what the kernel refuses: UDP is lossy by contract).
  void flush();
  std::size_t pending() const { return count_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  struct Storage;
  std::unique_ptr<Storage> s_;
  std::array<mmsghdr, kBatch> msgs_{};
  int fd_ = -1;
  std::size_t count_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace sb::net
