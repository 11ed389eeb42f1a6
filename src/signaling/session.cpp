#include "signaling/session.hpp"

#include "signaling/fast_relay.hpp"

namespace sb::signaling {

Session::Session(const SessionContext& ctx, PeerLink& link, std::weak_ptr<Member> member)
    : ctx_(ctx), link_(link), member_(std::move(member)), limiter_(ctx.config.rate, ctx.clock.now()) {}

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
  // While joining, this cancels the join: its answer, when it comes, is stale and ignored.
  ctx_.router.leave(room_, peer_id_, reason);
  state_ = State::idle;
  room_.clear();
  peer_id_.clear();
}

void Session::handle(const msg::Join& m) {
  if (state_ != State::idle) {
    send_error(ErrorCode::already_joined, "already in room " + room_ + "; send bye first", "", "join");
    return;
  }
  state_ = State::joining;
  room_ = m.room;
  peer_id_ = ctx_.router.join(JoinRequest{m.room, PeerInfo{"", m.name, "", ""}, 0, true}, member_);
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
  send(msg::Joined{peer_id_, room_, std::move(e.peers), ctx_.ice_servers.ice_servers_for(peer_id_)});
  ctx_.router.announce_joined(room_, peer_id_);
}

void Session::on(event::Refused& e) {
  if (state_ != State::joining || e.id != peer_id_) return;
  state_ = State::idle;
  room_.clear();
  peer_id_.clear();
  send_error(e.code, std::move(e.message), e.code == ErrorCode::room_full ? "room" : "", "join");
}

void Session::on(event::PeerJoined& e) {
  if (joined()) send(msg::PeerJoined{std::move(e.peer.id), std::move(e.peer.name)});
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
