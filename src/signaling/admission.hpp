// Access control as a protocol session sees it (docs/auth.md): a Gatekeeper decides each join, and a Grant
// says what an admitted peer may do. The implementation (tokens, the auth webhook, per-IP limits) lives
// outside the signaling core: auth::check_join decides, net::ConnectionGate makes the webhook's call. A
// server without access control gives its sessions no gatekeeper, and every join is granted.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "signaling/protocol.hpp"

namespace sb::signaling {

class Member;

// What access control granted one join.
struct Grant {
  std::string identity;         // who the peer is (a token's `sub`); "" without a token
  std::string name;             // the display name peers see
  std::string meta;             // JSON text passed to peers; "" = none
  std::uint32_t max_peers = 0;  // the room size this peer asked for (token, webhook); 0 = the server's limit
  bool turn = true;             // TURN credentials are handed out
  std::optional<std::vector<IceServer>> ice_servers;  // replaces the server's own list (a webhook's answer)
  // The token's limits, kept for as long as the peer stays admitted (a resume must not outlive them).
  std::string token_room;          // exact room, or the prefix when token_room_prefix
  bool token_room_prefix = false;
  std::int64_t token_expires = 0;  // Unix seconds; 0 = no token
};

// A refusal: one of the access-control codes of docs/signaling-protocol.md, and a message for the client.
struct Denial {
  ErrorCode code = ErrorCode::auth_denied;
  std::string message;
};

using AdmissionDecision = std::variant<Grant, Denial>;

struct JoinAttempt {
  std::string_view peer_id;  // the id the peer will have if admitted (the webhook is told it)
  std::string_view room;
  std::string_view name;
  std::string_view token;     // the join's; "" = none (the gatekeeper may know one from the upgrade)
  std::string_view metadata;  // the join's, JSON text; "" = none
};

// One per connection; called on the connection's executor only.
class Gatekeeper {
 public:
  virtual ~Gatekeeper() = default;
  // Decides a join: the decision when it is known at once; otherwise nullopt, and it arrives later as
  // event::Granted or event::Refused (with id = attempt.peer_id) through `member`.
  virtual std::optional<AdmissionDecision> admit(const JoinAttempt& attempt, std::weak_ptr<Member> member) = 0;
  // The connection is in a room: it no longer counts as a connection waiting for admission.
  virtual void on_admitted() = 0;
  // The connection was not admitted within the deadline (it counts as a failed join).
  virtual void on_deadline() = 0;
};

}  // namespace sb::signaling
