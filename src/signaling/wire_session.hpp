// One wire protocol's per-connection logic (protocol v1's Session; PeerJS and Ayame sessions beside it):
// turns the client's frames into router calls and the router's events into the protocol's frames. No I/O of
// its own.
//
// Threading: src/net calls every method on the connection's own executor, one at a time. Events the router
// delivers for this connection are queued there and passed to on_event in order; an event caused by one of
// this session's own calls (a join's answer, an undeliverable relay) arrives after that call has returned,
// never inside it.
#pragma once

#include <optional>
#include <string_view>

#include "signaling/events.hpp"
#include "signaling/protocol.hpp"
#include "util/clock.hpp"

namespace sb::signaling {

class WireSession {
 public:
  virtual ~WireSession() = default;
  // The WebSocket handshake is done: from now on the session may write (a protocol whose server speaks first,
  // such as PeerJS's OPEN, starts here). Called once, before anything else.
  virtual void on_open() {}
  // One text (or binary) frame from the client.
  virtual void on_text(std::string_view frame) = 0;
  // One event from the router.
  virtual void on_event(Event& event) = 0;
  // The connection is gone (or is being dropped): leave the room with `reason`. Idempotent.
  virtual void on_closed(LeaveReason reason) = 0;
  // A protocol's own timing (Ayame's pings, PeerJS's expiries): when on_timer should next run; nullopt for
  // never. src/net asks again after every call into the session, and calls on_timer at or after that time.
  virtual std::optional<util::TimePoint> next_deadline() const { return std::nullopt; }
  virtual void on_timer(util::TimePoint now) { (void)now; }
  // The connection broke without a goodbye: no close frame, or one with a code other than 1000/1001/none (the
  // TCP connection reset or ended, the idle timeout, a write error). A protocol that can resume keeps the
  // session for a while; by default this is on_closed.
  virtual void on_lost(LeaveReason reason) { on_closed(reason); }

  // Access control (docs/auth.md). Until admitted() (true once the connection has been in a room, or has
  // resumed a session; it stays true after a bye), a server with --auth applies its pre-admission limits: a
  // deadline, a smaller frame limit, and one message at a time: no frame is read while deciding() (a join
  // waits for its answer). The defaults are those of a protocol that access control does not gate (PeerJS,
  // Ayame without the auth webhook, docs/auth.md): admitted from the start, never deciding.
  virtual bool admitted() const { return true; }
  virtual bool deciding() const { return false; }
  // The pre-admission deadline passed: refuse the client (auth-timeout) and close.
  virtual void on_admission_deadline() {}
};

}  // namespace sb::signaling
