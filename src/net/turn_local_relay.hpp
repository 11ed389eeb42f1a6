// Relay-to-relay between two allocations of this server that live on different TURN workers
// (turn::Action::kToLocalRelay): the sending worker copies the datagram into the owning worker's inbox
// and wakes it; the owner hands each one to its core as if it had arrived on the relay socket.
//
// Bounded: `capacity` datagrams may wait; more are dropped (UDP semantics) and counted by the caller.
// Two fixed buffers, swapped under the mutex by the owner, so neither side allocates per datagram and
// the producer holds the lock only for one copy.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

#include "net/turn_udp.hpp"
#include "turn/core.hpp"

namespace sb::net {

class LocalRelayInbox {
 public:
  // Payloads up to this size are carried (what a datagram on a relay socket may hold).
  static constexpr std::size_t kMaxPayload = RecvBatch::kMaxDatagram - turn::kPeerHeadroom - turn::kPeerTailroom;

  struct Datagram {
    turn::RelayId relay = 0;
    std::uint16_t port = 0;
    std::uint16_t size = 0;
    stun::TransportAddress from;
    // The payload sits at turn::kPeerHeadroom, so the core can frame it in place (on_peer_datagram).
    std::array<std::uint8_t, RecvBatch::kMaxDatagram> buffer;
    std::span<std::uint8_t> span() { return buffer; }
  };

  explicit LocalRelayInbox(std::size_t capacity = 256);

  enum class Push : std::uint8_t { kQueued, kQueuedWake, kFull, kTooLarge };
  // Any thread. kQueuedWake: the inbox was empty, so the owner must be woken.
  Push push(const turn::Output& o);

  // Owner thread only: calls f(Datagram&) for everything queued so far.
  template <class F>
  void drain(F&& f) {
    std::size_t n = 0;
    {
      std::lock_guard lock(mu_);
      std::swap(front_, back_);
      n = back_count_;
      back_count_ = 0;
    }
    for (std::size_t i = 0; i < n; ++i) f(front_[i]);
  }

 private:
  std::size_t capacity_;
  std::unique_ptr<Datagram[]> front_;  // owner only, between drains
  std::mutex mu_;
  std::unique_ptr<Datagram[]> back_;  // guarded by mu_
  std::size_t back_count_ = 0;        // guarded by mu_
};

}  // namespace sb::net
