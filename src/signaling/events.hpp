// What a room member learns from the router: one typed Event per happening, delivered through
// Member::deliver. The router never writes a wire protocol's frames; each protocol's session turns events
// into its own frames (docs/cluster.md, "The typed router").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "signaling/admission.hpp"
#include "signaling/counters.hpp"
#include "signaling/protocol.hpp"

namespace sb::signaling {

// Whether a member's connection is up, as the others hear it (session resume, docs/signaling-protocol.md).
enum class PeerStatus : std::uint8_t { reconnecting, resumed };

namespace event {

// The answer to Router::join: admitted, with the others already in the room (empty when the join asked for no
// presence).
struct Admitted {
  std::string id;
  std::string room;
  std::vector<PeerInfo> peers;
  // The id was held on another node and handed over to this join (JoinRequest::token_digest matched): the
  // client re-attached (a PeerJS session sends no OPEN then).
  bool took_over = false;
};
// The answer to Router::join: not admitted (room-full, server-full, id-taken, unavailable); or access control's
// refusal of a join it decided later (one of the token-* / auth-* codes), from a Gatekeeper.
struct Refused {
  std::string id;  // the id the join asked for or was given, so a stale answer can be told apart
  ErrorCode code = ErrorCode::unavailable;
  std::string message;
};
// Access control's answer to a join it could not decide at once (an auth webhook's): go ahead with `grant`.
// A refusal comes as Refused. Delivered by a Gatekeeper, not by the router.
struct Granted {
  std::string id;  // the attempt's peer id, so that a stale answer can be told apart
  Grant grant;
};
struct PeerJoined {
  PeerInfo peer;
};
struct PeerLeft {
  std::string id;
  LeaveReason reason = LeaveReason::bye;
};
// A message from another member: `frame` is already in the room's wire protocol, with the sender's id set by
// the sender's node (never taken from the client). Shared, so it crosses threads without a copy.
struct Relay {
  RelayedType type = RelayedType::offer;
  std::shared_ptr<const std::string> frame;
};
// A relay of ours that did not reach `to`: unknown-peer (not a member of our room) or unavailable (on a node
// this one cannot reach now). `frame` is the relay's own frame, for a protocol that queues and retries.
struct Undeliverable {
  std::string to;
  RelayedType type = RelayedType::offer;
  ErrorCode code = ErrorCode::unknown_peer;
  std::shared_ptr<const std::string> frame;
};
// This node is going away: connect again (possibly to another node).
struct Drain {};
// Member `id`'s connection dropped and it may resume (reconnecting), or it did (resumed). Router::set_status.
struct StatusChanged {
  std::string id;
  PeerStatus status = PeerStatus::reconnecting;
};

// The other nodes' answer to a `resume` this node asked them about (docs/cluster.md, "Resume across nodes"):
// `found`, the session was handed over and is held here now (resume it again, here); or the resume is refused.
// Delivered by the resume registry, not by the router.
struct ResumeAnswer {
  std::string session;
  bool found = false;
  ErrorCode code = ErrorCode::resume_refused;
  std::optional<ResumeRefusal> reason;
  std::string message;
};

}  // namespace event

using Event = std::variant<event::Admitted, event::Refused, event::PeerJoined, event::PeerLeft, event::Relay,
                           event::Undeliverable, event::Drain, event::Granted, event::StatusChanged,
                           event::ResumeAnswer>;

// A room member as the router sees it: one per connection, implemented by src/net on a WebSocket (and by
// fakes in tests).
class Member {
 public:
  virtual ~Member() = default;
  // Thread-safe; called from any thread, never under a router's lock. Queues `event` onto the member's own
  // executor, where its protocol session sees it (WireSession::on_event). Events reach a member in the order
  // the router delivered them.
  virtual void deliver(Event event) = 0;
};

}  // namespace sb::signaling
