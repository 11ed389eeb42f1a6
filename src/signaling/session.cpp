#include "signaling/session.hpp"

#include "signaling/fast_relay.hpp"

namespace sb::signaling {

Session::Session(const SessionContext& ctx, std::weak_ptr<PeerLink> link)
    : ctx_(ctx), link_(std::move(link)), limiter_(ctx.config.rate, ctx.clock.now()) {}

Session::~Session() { on_closed(LeaveReason::disconnect); }

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
      if (auto link = link_.lock()) link->close(close_code::policy_violation, "rate limit abuse");
      return;
  }
  if (joined()) {
    if (auto fast = fast_relay(frame, peer_id_, ctx_.config.limits)) {
      relay(to_string(fast->type), fast->to, fast->type, std::move(fast->frame));
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

void Session::on_closed(LeaveReason reason) {
  closing_ = true;
  if (!joined()) return;
  ctx_.router.leave(room_, peer_id_, reason);
  room_.clear();
  peer_id_.clear();
}

void Session::handle(const msg::Join& m) {
  if (joined()) {
    send_error(ErrorCode::already_joined, "already in room " + room_ + "; send bye first", "", "join");
    return;
  }
  auto result = ctx_.router.join(m.room, m.name, link_);
  if (result.error) {
    send_error(result.error->code, std::move(result.error->message), std::move(result.error->field), "join");
    return;
  }
  room_ = m.room;
  peer_id_ = std::move(result.peer_id);
  send(msg::Joined{peer_id_, room_, std::move(result.peers), ctx_.ice_servers.ice_servers_for(peer_id_)});
  ctx_.router.announce_joined(room_, peer_id_);
}

void Session::handle(const msg::Offer& m) {
  if (!require_joined("offer")) return;
  relay("offer", m.to, RelayedType::offer, serialize(ServerMessage{msg::RelayedOffer{peer_id_, m.sdp}}));
}

void Session::handle(const msg::Answer& m) {
  if (!require_joined("answer")) return;
  relay("answer", m.to, RelayedType::answer, serialize(ServerMessage{msg::RelayedAnswer{peer_id_, m.sdp}}));
}

void Session::handle(const msg::Candidate& m) {
  if (!require_joined("candidate")) return;
  relay("candidate", m.to, RelayedType::candidate,
        serialize(ServerMessage{msg::RelayedCandidate{peer_id_, m.candidate}}));
}

void Session::handle(const msg::Bye&) {
  if (!require_joined("bye")) return;
  on_closed(LeaveReason::bye);
  closing_ = false;  // the connection stays open and may join again
}

void Session::handle(const msg::Ping&) { send(msg::Pong{}); }

void Session::relay(std::string_view type, std::string_view to, RelayedType counted, std::string frame) {
  // `from` is always our own id (set above); whatever the client put in `from` was never read.
  if (!ctx_.router.relay(room_, peer_id_, to, std::make_shared<const std::string>(std::move(frame)))) {
    send_error(ErrorCode::unknown_peer, "no peer " + std::string(to) + " in room " + room_, "to", type);
    return;
  }
  ctx_.counters.count_relayed(counted);
}

bool Session::require_joined(std::string_view type) {
  if (joined()) return true;
  send_error(ErrorCode::not_joined, "join a room first", "", type);
  return false;
}

void Session::send(const ServerMessage& m) {
  if (auto link = link_.lock()) link->send(std::make_shared<const std::string>(serialize(m)));
}

void Session::send_error(ErrorCode code, std::string message, std::string field, std::string_view ref) {
  ctx_.counters.count_error(code);
  send(msg::Error{code, std::move(message), std::move(field), std::string(ref)});
}

}  // namespace sb::signaling
