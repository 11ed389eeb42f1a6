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
  ctx_.counters.messages_received_total.inc();
  switch (limiter_.on_message(ctx_.clock.now())) {
    case RateLimiter::Verdict::allow:
      break;
    case RateLimiter::Verdict::reject:
      ctx_.counters.count_rate_limited();
      send_error(ErrorCode::rate_limited, "too many messages; slow down", "", "");
      return;
    case RateLimiter::Verdict::close:
      // No error is sent (the connection closes): counted as rate-limited and as a close, not as an error.
      ctx_.counters.count_rate_limited();
      ctx_.counters.closed_rate_limit_total.inc();
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
    // A refused offer/answer/candidate was read all the same: `resumed` counts it.
    if ((ref == "offer" || ref == "answer" || ref == "candidate") && !count_received()) return;
    send_error(err->code, std::move(err->message), std::move(err->field), ref);
    return;
  }
  std::visit([this](const auto& m) { handle(m); }, std::get<ClientMessage>(parsed));
}

void Session::on_event(Event& event) {
  if (closing_) return;
  if (auto* a = std::get_if<event::Admitted>(&event)) return on(*a);
  if (auto* r = std::get_if<event::Refused>(&event)) return on(*r);
  if (auto* g = std::get_if<event::Granted>(&event)) return on(*g);
  if (auto* r = std::get_if<event::ResumeAnswer>(&event)) return on(*r);
  const bool drain = std::holds_alternative<event::Drain>(event);
  if (drain && resumable() && ctx_.resume->parks_drained()) return on_drained();
  // A resumable session's record has made this event a numbered frame already: the event only wakes us.
  if (resumable() && !drain) return flush();
  if (auto* p = std::get_if<event::PeerJoined>(&event)) return on(*p);
  on_other(event);
}

void Session::on_closed(LeaveReason reason) {
  closing_ = true;
  leave_room(reason);
}

void Session::leave_room(LeaveReason reason) {
  if (state_ == State::idle) return;
  // While joining, this cancels the join: its answer, when it comes, is stale and ignored. While admitting the
  // router knows nothing yet; access control's late answer is as stale. A session another connection resumed
  // is not ours to end.
  if (state_ != State::admitting) {
    const bool ours = record_ == nullptr || ctx_.resume->remove(record_, owner_);
    if (ours) ctx_.router.leave(room_, peer_id_, reason);
  }
  to_idle();
}

void Session::to_idle() {
  state_ = State::idle;
  room_.clear();
  peer_id_.clear();
  record_.reset();
  unwritten_.clear();
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
  resume_asked_ = m.resume;
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
  // A join that can resume gets a record as its router member: the record numbers and keeps its frames.
  std::weak_ptr<Member> member = member_;
  if (resume_asked_ && ctx_.resume != nullptr && ctx_.resume->enabled()) {
    owner_ = ctx_.resume->next_owner();
    record_ = ctx_.resume->make_record(room_, owner_, member_);
    record_->grant = grant_;
    member = record_;
  }
  peer_id_ = ctx_.router.join(
      JoinRequest{room_, PeerInfo{peer_id_, grant_.name, grant_.identity, grant_.meta}, capacity, true}, member);
}

// An access-control refusal ends the connection: the client learns why, then the server closes (4003).
void Session::deny(ErrorCode code, std::string message) {
  to_idle();
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
  // Not numbered, even in a resumable session: it answers this connection, and nothing is lost without it.
  link_.send(std::make_shared<const std::string>(serialize(ServerMessage{msg::Pong{}})));
}

void Session::on(event::Admitted& e) {
  if (state_ != State::joining || e.id != peer_id_) return;  // answers a join since cancelled
  msg::Joined joined{peer_id_, room_, std::move(e.peers), ice_servers()};
  if (record_) {
    joined.resume = ctx_.resume->add(record_);
    if (!joined.resume) return on_record_lost(ResumeRecord::Access::ended);
  }
  send(joined);  // not numbered: the session's numbers start after it
  state_ = State::joined;
  if (!admitted_) {
    admitted_ = true;
    if (gate_ != nullptr) gate_->on_admitted();
  }
  ctx_.router.announce_joined(room_, peer_id_);
  if (record_) flush();  // what the record framed while `joined` was on its way
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
  to_idle();
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

void Session::on_other(Event& e) {
  // Presence and relays are for a member: a connection that left (or has not joined yet) ignores them.
  const bool members_only = !std::holds_alternative<event::Undeliverable>(e) && !std::holds_alternative<event::Drain>(e);
  if (members_only && !joined()) return;
  if (auto frame = frame_for(e, room_, ctx_.counters)) link_.send(std::move(frame));
}

std::shared_ptr<const std::string> frame_for(Event& event, std::string_view room, Counters& counters) {
  const auto framed = [](const ServerMessage& m) { return std::make_shared<const std::string>(serialize(m)); };
  struct Visitor {
    std::string_view room;
    Counters& counters;
    decltype(framed)& make;
    std::shared_ptr<const std::string> operator()(event::Admitted&) const { return nullptr; }
    std::shared_ptr<const std::string> operator()(event::Refused&) const { return nullptr; }
    std::shared_ptr<const std::string> operator()(event::Granted&) const { return nullptr; }
    // What access control gave the peer goes along; fresh iceServers are the session's (on(PeerJoined)).
    std::shared_ptr<const std::string> operator()(event::PeerJoined& e) const {
      return make(msg::PeerJoined{std::move(e.peer.id), std::move(e.peer.name), std::move(e.peer.identity),
                                  std::move(e.peer.meta), {}});
    }
    std::shared_ptr<const std::string> operator()(event::PeerLeft& e) const {
      return make(msg::PeerLeft{std::move(e.id), e.reason});
    }
    std::shared_ptr<const std::string> operator()(event::Relay& e) const {
      counters.count_relayed(e.type);
      return std::move(e.frame);
    }
    std::shared_ptr<const std::string> operator()(event::Undeliverable& e) const {
      std::string message = e.code == ErrorCode::unknown_peer
                                ? "no peer " + e.to + " in room " + std::string(room)
                                : "peer " + e.to + " is on a signalbox node this one cannot reach now; try again";
      counters.count_error(e.code);
      return make(msg::Error{e.code, std::move(message), "to", std::string(to_string(e.type))});
    }
    std::shared_ptr<const std::string> operator()(event::Drain&) const { return make(msg::Drain{}); }
    std::shared_ptr<const std::string> operator()(event::ResumeAnswer&) const { return nullptr; }
    std::shared_ptr<const std::string> operator()(event::StatusChanged& e) const {
      if (e.status == PeerStatus::resumed) return make(msg::PeerResumed{std::move(e.id)});
      return make(msg::PeerReconnecting{std::move(e.id)});
    }
  };
  return std::visit(Visitor{room, counters, framed}, event);
}

void Session::relay(RelayedType type, std::string_view to, std::string frame) {
  if (!count_received()) return;
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
  auto frame = std::make_shared<const std::string>(serialize(m));
  if (!resumable()) return link_.send(std::move(frame));
  const auto access = record_->send(owner_, std::move(frame), unwritten_);
  if (access != ResumeRecord::Access::ok) return on_record_lost(access);
  for (auto& k : unwritten_) link_.send_numbered(std::move(k.frame), k.seq);
  unwritten_.clear();
}

void Session::send_error(ErrorCode code, std::string message, std::string field, std::string_view ref,
                         std::string reason) {
  ctx_.counters.count_error(code);
  send(msg::Error{code, std::move(message), std::move(field), std::string(ref), std::move(reason)});
}

}  // namespace sb::signaling
