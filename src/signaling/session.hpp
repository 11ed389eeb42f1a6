// Per-connection protocol logic: one Session per WebSocket. No I/O of its own: frames come in through
// on_text(), and everything goes out through the PeerLink (its own) or the Router (to others).
//
// Threading: a Session is used from one thread at a time (the net layer calls it on the connection's
// strand). Other sessions reach this connection only through its PeerLink, which is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "signaling/counters.hpp"
#include "signaling/ice_servers.hpp"
#include "signaling/peer_link.hpp"
#include "signaling/protocol.hpp"
#include "signaling/rate_limiter.hpp"
#include "signaling/router.hpp"
#include "util/clock.hpp"

namespace sb::signaling {

struct SessionConfig {
  Limits limits;
  RateLimitConfig rate;
};

// Everything sessions share. Owned by the server; outlives every session.
struct SessionContext {
  const SessionConfig& config;
  Router& router;
  IceServerSource& ice_servers;
  Counters& counters;
  const util::Clock& clock;
};

class Session {
 public:
  Session(const SessionContext& ctx, std::weak_ptr<PeerLink> link);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  // One text frame from the client.
  void on_text(std::string_view frame);
  // The connection is gone; leaves the room (peers get peer-left with `reason`). Idempotent.
  void on_closed(LeaveReason reason);

  bool joined() const { return !peer_id_.empty(); }
  const std::string& peer_id() const { return peer_id_; }
  const std::string& room() const { return room_; }

 private:
  void handle(const msg::Join& m);
  void handle(const msg::Offer& m);
  void handle(const msg::Answer& m);
  void handle(const msg::Candidate& m);
  void handle(const msg::Bye& m);
  void handle(const msg::Ping& m);

  // Relays `frame` (already carrying `from`) to `to` in our room, or answers with an error.
  void relay(std::string_view type, std::string_view to, RelayedType counted, std::string frame);
  bool require_joined(std::string_view type);
  void send(const ServerMessage& m);
  void send_error(ErrorCode code, std::string message, std::string field, std::string_view ref);

  const SessionContext& ctx_;
  std::weak_ptr<PeerLink> link_;
  RateLimiter limiter_;
  std::string room_;     // empty: not joined
  std::string peer_id_;  // empty: not joined
  bool closing_ = false; // closed for abuse; further frames are ignored
};

}  // namespace sb::signaling
