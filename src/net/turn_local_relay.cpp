#include "net/turn_local_relay.hpp"

#include <cstring>

namespace sb::net {

// `new Datagram[n]` leaves the buffers untouched, so an idle inbox costs address space, not memory.
LocalRelayInbox::LocalRelayInbox(std::size_t capacity)
    : capacity_(capacity), front_(new Datagram[capacity]), back_(new Datagram[capacity]) {}

LocalRelayInbox::Push LocalRelayInbox::push(const turn::Output& o) {
  if (o.bytes.size() > kMaxPayload) return Push::kTooLarge;
  std::lock_guard lock(mu_);
  if (back_count_ == capacity_) return Push::kFull;
  Datagram& d = back_[back_count_++];
  d.relay = o.relay;
  d.port = o.relay_port;
  d.size = static_cast<std::uint16_t>(o.bytes.size());
  d.from = o.peer;
  std::memcpy(d.buffer.data() + turn::kPeerHeadroom, o.bytes.data(), o.bytes.size());
  return back_count_ == 1 ? Push::kQueuedWake : Push::kQueued;
}

}  // namespace sb::net
