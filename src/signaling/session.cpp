#include "signaling/session.hpp"

#include <algorithm>

#include "signaling/fast_relay.hpp"
#include "util/random.hpp"

namespace sb::signaling {

Session::Session(const SessionContext& ctx, PeerLink& link, std::weak_ptr<Member> member, util::IpAddress remote,
                 std::unique_ptr<Gatekeeper> gate)
    : ctx_(ctx),
      link_(link),
      member_(std::move(member)),
      remote_(remote),
      connection_key_("c" + util::random_hex(8)),
      gate_(std::move(gate)),
      limiter_(ctx.config.rate, ctx.clock.now()) {}

Session::~Session() {
  leave_room(LeaveReason::disconnect);
}

void Session::on_text(std::string_view frame) {
  if (closing_) return;
  ctx_.counters.messages_received_total.fetch_add(1, std::memory_order_relaxed);
  switch (limiter_.on_message(ctx_.clock.now())) {
    case RateLimiter::Verdict::allow:
      break;
    case RateLimiter::Verdict::reject:
      send_error(ErrorCode::rate_limited, "too many messages; slow down", "", "");
      return;
    case RateLimiter::Verdict::close:
      ctx_.counters.count_error(ErrorCode::rate_limited);
      ctx_.counters.closed_rate_limit_total.fetch_add(1, std::memory_order_relaxed);
      closing_ = true;
      link_.close(close_code::policy_violation, "rate limit abuse");
      return;
  }
  if (joined()) {
    if (auto fast = fast_relay(frame, peer_id_, ctx_.config.limits)) {
      relay(fast->type, fast->to, std::move(fast->frame));
      return;
    }
  }
  std::string ref;
  auto parsed = parse_client_message(frame, ctx_.config.limits, &ref);
  if (auto* err = std::get_if<ProtocolError>(&parsed)) {
    send_error(err->code, std::move(err->message), std::move(err->field), ref);
    return;
  }
  std::visit([this](const auto& m) { handle(m); }, std::get<ClientMessage>(parsed));
}

void Session::on_event(Event& event) {
  if (closing_) return;
  std::visit([this](auto& e) { on(e); }, event);
}

void Session::on_closed(LeaveReason reason) {
  closing_ = true;
  leave_room(reason);
}

void Session::leave_room(LeaveReason reason) {
  if (state_ == State::idle) return;
  // While joining, this cancels the join: its answer, when it comes, is stale and ignored. While admitting the
  // router knows nothing yet; access control's late answer is as stale.
  if (state_ != State::admitting) ctx_.router.leave(room_, peer_id_, reason);
  state_ = State::idle;
  room_.clear();
  peer_id_.clear();
}

void Session::handle(const msg::Join& m) {
  if (state_ != State::idle) {
    send_error(ErrorCode::already_joined, "already in room " + room_ + "; send bye first", "", "join");
    return;
  }
  if (ctx_.joins_per_ip != nullptr && !ctx_.joins_per_ip->allow(remote_, ctx_.clock.now())) {
    send_error(ErrorCode::rate_limited, "too many joins from your address; try again in a moment", "", "join");
    return;
  }
  room_ = m.room;
  if (gate_ == nullptr) {
    Grant open;
    open.name = m.name;
    enter_room(std::move(open));
    return;
  }
  state_ = State::admitting;
  peer_id_ = util::random_hex(16);  // chosen here: an auth webhook is told the id before the router sees it
  auto decision = gate_->admit(JoinAttempt{peer_id_, room_, m.name, m.token, m.metadata}, member_);
  if (decision) decide(std::move(*decision));
}

void Session::decide(AdmissionDecision decision) {
  if (auto* denial = std::get_if<Denial>(&decision)) {
    deny(denial->code, std::move(denial->message));
    return;
  }
  enter_room(std::move(std::get<Grant>(decision)));
}

// Asks the router for a seat: as the grant names the peer, with the room size it asked for (within the
// server's limit). `peer_id_` is empty (the router mints one) or the id access control already announced.
void Session::enter_room(Grant grant) {
  grant_ = std::move(grant);
  state_ = State::joining;
  std::uint32_t capacity = grant_.max_peers;
  if (capacity != 0 && ctx_.config.max_peers_per_room != 0) capacity = std::min(capacity, ctx_.config.max_peers_per_room);
  peer_id_ = ctx_.router.join(
      JoinRequest{room_, PeerInfo{peer_id_, grant_.name, grant_.identity, grant_.meta}, capacity, true}, member_);
}

// An access-control refusal ends the connection: the client learns why, then the server closes (4003).
void Session::deny(ErrorCode code, std::string message) {
  state_ = State::idle;
  room_.clear();
  peer_id_.clear();
  send_error(code, std::move(message), "", "join");
  closing_ = true;
  link_.close(close_code::access_denied, std::string(to_string(code)));
}

void Session::on_admission_deadline() {
  if (admitted_ || closing_) return;
  if (gate_ != nullptr) gate_->on_deadline();
  leave_room(LeaveReason::disconnect);
  send_error(ErrorCode::auth_timeout, "not admitted to a room in time", "", "");
  closing_ = true;
  link_.close(close_code::access_denied, std::string(to_string(ErrorCode::auth_timeout)));
}

void Session::handle(const msg::Offer& m) {
  if (!require_joined("offer")) return;
  relay(RelayedType::offer, m.to, serialize(ServerMessage{msg::RelayedOffer{peer_id_, m.sdp}}));
}

void Session::handle(const msg::Answer& m) {
  if (!require_joined("answer")) return;
  relay(RelayedType::answer, m.to, serialize(ServerMessage{msg::RelayedAnswer{peer_id_, m.sdp}}));
}

void Session::handle(const msg::Candidate& m) {
  if (!require_joined("candidate")) return;
  relay(RelayedType::candidate, m.to, serialize(ServerMessage{msg::RelayedCandidate{peer_id_, m.candidate}}));
}

void Session::handle(const msg::Bye&) {
  // A join not yet answered is cancelled by bye, like a join that was.
  if (state_ == State::idle) {
    send_error(ErrorCode::not_joined, "join a room first", "", "bye");
    return;
  }
  leave_room(LeaveReason::bye);  // the connection stays open and may join again
}

void Session::handle(const msg::Ping&) {
  send(msg::Pong{});
}

void Session::on(event::Admitted& e) {
  if (state_ != State::joining || e.id != peer_id_) return;  // answers a join since cancelled
  state_ = State::joined;
  if (!admitted_) {
    admitted_ = true;
    if (gate_ != nullptr) gate_->on_admitted();
  }
  send(msg::Joined{peer_id_, room_, std::move(e.peers), ice_servers()});
  ctx_.router.announce_joined(room_, peer_id_);
}

void Session::on(event::Granted& e) {
  if (state_ != State::admitting || e.id != peer_id_) return;  // answers a join since cancelled
  enter_room(std::move(e.grant));
}

// The iceServers of `joined`: a webhook's own list, or the server's with TURN credentials minted for the
// identity (coturn's expiry:identity form; the connection's key without one), and no TURN at all when not
// granted.
std::vector<IceServer> Session::ice_servers() const {
  if (grant_.ice_servers) return *grant_.ice_servers;
  auto servers =
      ctx_.ice_servers.ice_servers_for({peer_id_, grant_.identity.empty() ? connection_key_ : grant_.identity});
  if (!grant_.turn) remove_turn_servers(servers);
  return servers;
}

void Session::on(event::Refused& e) {
  if (e.id != peer_id_) return;
  if (state_ == State::admitting) {
    deny(e.code, std::move(e.message));
    return;
  }
  if (state_ != State::joining) return;
  state_ = State::idle;
  room_.clear();
  peer_id_.clear();
  send_error(e.code, std::move(e.message), e.code == ErrorCode::room_full ? "room" : "", "join");
}

void Session::on(event::PeerJoined& e) {
  if (!joined()) return;
  // TURN credentials are short-lived (--turn-credential-ttl): a peer that waited alone gets fresh ones with
  // the peer it will now connect to. A list without credentials does not expire and is not sent again.
  auto ice = ice_servers();
  const bool expires = std::any_of(ice.begin(), ice.end(), [](const IceServer& s) { return s.credential.has_value(); });
  send(msg::PeerJoined{std::move(e.peer.id), std::move(e.peer.name), std::move(e.peer.identity),
                       std::move(e.peer.meta), expires ? std::move(ice) : std::vector<IceServer>{}});
}

void Session::on(event::PeerLeft& e) {
  if (joined()) send(msg::PeerLeft{std::move(e.id), e.reason});
}

void Session::on(event::Relay& e) {
  if (!joined()) return;  // sent to a membership this connection has since left
  ctx_.counters.count_relayed(e.type);
  link_.send(std::move(e.frame));
}

void Session::on(event::Undeliverable& e) {
  std::string message = e.code == ErrorCode::unknown_peer
                            ? "no peer " + e.to + " in room " + room_
                            : "peer " + e.to + " is on a signalbox node this one cannot reach now; try again";
  send_error(e.code, std::move(message), "to", to_string(e.type));
}

void Session::on(event::Drain&) {
  send(msg::Drain{});
}

void Session::relay(RelayedType type, std::string_view to, std::string frame) {
  // `from` in the frame is always our own id; whatever the client put in `from` was never read.
  ctx_.router.relay(room_, peer_id_, to,
                    event::Relay{type, std::make_shared<const std::string>(std::move(frame))});
}

bool Session::require_joined(std::string_view type) {
  if (joined()) return true;
  send_error(ErrorCode::not_joined, "join a room first", "", type);
  return false;
}

void Session::send(const ServerMessage& m) {
  link_.send(std::make_shared<const std::string>(serialize(m)));
}

void Session::send_error(ErrorCode code, std::string message, std::string field, std::string_view ref) {
  ctx_.counters.count_error(code);
  send(msg::Error{code, std::move(message), std::move(field), std::string(ref)});
}

}  // namespace sb::signaling
