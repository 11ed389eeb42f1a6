// The base of the wire sessions of the other protocols signalbox speaks (PeerJS and Ayame,
// docs/compatibility.md): what both do around their own frames and events, written once. Every frame is
// counted and goes through the per-connection rate limit of protocol v1 (neither protocol has an error a
// client survives, so a frame over the rate is dropped, and sustained abuse closes the connection with
// 1008); closing leaves the router room first, then closes the link, once; the connection's end leaves the
// room with its reason. The protocol keeps its own state (closed() / set_closed()) and room (leave_room()).
// No I/O of its own (wire_session.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "signaling/counters.hpp"
#include "signaling/events.hpp"
#include "signaling/peer_link.hpp"
#include "signaling/rate_limiter.hpp"
#include "signaling/wire_session.hpp"
#include "util/clock.hpp"

namespace sb::signaling {

class CompatSession : public WireSession {
 public:
  CompatSession(const CompatSession&) = delete;
  CompatSession& operator=(const CompatSession&) = delete;

  // Counts the frame, applies the rate limit, and passes a frame within it to on_frame.
  void on_text(std::string_view frame) final;
  // Leaves the room with `reason`; the session is closed from then on.
  void on_closed(LeaveReason reason) final;

 protected:
  CompatSession(PeerLink& link, std::weak_ptr<Member> member, Counters& counters, const util::Clock& clock,
                const RateLimitConfig& rate);

  // The protocol's state: closed sessions handle nothing more.
  virtual bool closed() const = 0;
  virtual void set_closed() = 0;
  // Leaves the router room, if the session is in one. Idempotent.
  virtual void leave_room(LeaveReason reason) = 0;
  // Asked before a frame is counted: false drops it unseen.
  virtual bool takes_frames() { return true; }
  // A frame within the rate limit, on an open session.
  virtual void on_frame(std::string_view frame) = 0;

  // Leaves the room, then closes the connection with `code` and `reason` (once).
  void close(std::uint16_t code, std::string_view reason);
  void send(std::string frame) { link_.send(std::make_shared<const std::string>(std::move(frame))); }
  PeerLink& link() { return link_; }
  const std::weak_ptr<Member>& member() const { return member_; }

 private:
  PeerLink& link_;
  std::weak_ptr<Member> member_;
  Counters& counters_;
  const util::Clock& clock_;
  RateLimiter limiter_;
};

}  // namespace sb::signaling
