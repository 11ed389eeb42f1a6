#include "signaling/ayame/session.hpp"

#include <cstdint>

#include "util/random.hpp"

namespace sb::signaling::ayame {
namespace {

RelayedType relayed_type(msg::ForwardType t) {
  switch (t) {
    case msg::ForwardType::offer:
      return RelayedType::offer;
    case msg::ForwardType::answer:
      return RelayedType::answer;
    case msg::ForwardType::candidate:
      return RelayedType::candidate;
  }
  return RelayedType::candidate;
}

std::string new_connection_id(const util::Clock& clock) {
  std::uint8_t random[10];
  util::random_bytes(random);
  return connection_id(static_cast<std::uint64_t>(clock.unix_seconds()) * 1000, random);
}

}  // namespace

Metrics Metrics::make(metrics::Registry& r) {
  Metrics m;
  m.failures = r.counter_family<Failure, kFailureCount>(
      "signalbox_ayame_failures_total", "Ayame connections ended by a client error, by Ayame's error name.",
      "reason", [](Failure f) { return to_string(f); });
  m.pong_timeouts =
      &r.counter("signalbox_ayame_pong_timeouts_total", "Ayame connections closed without pong.");
  m.rejected_full =
      &r.counter("signalbox_ayame_rejected_full_total", "Ayame registers rejected: the room holds two.");
  return m;
}

Session::Session(const Context& ctx, PeerLink& link, std::weak_ptr<Member> member,
                 std::unique_ptr<Authn> authn)
    : CompatSession(link, std::move(member), ctx.counters, ctx.clock, ctx.rate),
      ctx_(ctx),
      authn_(std::move(authn)) {
  const auto now = ctx_.clock.now();
  next_ping_ = now + ctx_.config.ping_interval;
  pong_deadline_ = now + ctx_.config.pong_timeout;
}

Session::~Session() {
  leave_room(LeaveReason::disconnect);
}

void Session::on_frame(std::string_view frame) {
  auto parsed = parse_client_message(frame, ctx_.config.limits);
  if (auto* f = std::get_if<Failure>(&parsed)) return fail(*f);
  if (auto* r = std::get_if<msg::Register>(&parsed)) return handle(*r);
  if (auto* p = std::get_if<msg::Pong>(&parsed)) return handle(*p);
  if (auto* fw = std::get_if<msg::Forward>(&parsed)) return handle(*fw, frame);
  handle(std::get<msg::Connected>(parsed));
}

void Session::on_event(Event& event) {
  if (state_ == State::closed) return;
  std::visit([this](auto& e) { on(e); }, event);
}

std::optional<util::TimePoint> Session::next_deadline() const {
  if (state_ == State::closed || standalone_) return std::nullopt;
  return std::min(next_ping_, pong_deadline_);
}

void Session::on_timer(util::TimePoint now) {
  if (state_ == State::closed || standalone_) return;
  if (now >= pong_deadline_) {
    ctx_.metrics.pong_timeouts->inc();
    return close(close_code::normal, "PongTimeout");
  }
  if (now >= next_ping_) {
    send(msg::Ping{});
    next_ping_ = now + ctx_.config.ping_interval;
  }
}

void Session::handle(msg::Register& m) {
  if (state_ != State::idle) return fail(Failure::already_registered);
  standalone_ = m.standalone;
  connection_id_ = new_connection_id(ctx_.clock);
  room_ = std::string(kRoomPrefix) + m.room_id;
  // The client id is shown as the member's name; Ayame uses the connection id when the client gave none.
  client_id_ = m.client_id.empty() ? connection_id_ : std::move(m.client_id);
  if (!authn_) return join();
  state_ = State::authorizing;
  if (!authn_->ask(m, client_id_, connection_id_, member())) {
    // Too many registers wait for the webhook: Ayame's answer to a webhook it could not ask.
    reject("InternalServerError");
    close(close_code::normal, "");
  }
}

void Session::join() {
  state_ = State::registering;
  ctx_.router.join(JoinRequest{room_, PeerInfo{connection_id_, client_id_}, 2, true}, member());
}

void Session::on_admission_deadline() {
  if (authn_) authn_->on_deadline();
  close(close_code::policy_violation, "auth-timeout");
}

void Session::handle(const msg::Pong&) {
  pong_deadline_ = ctx_.clock.now() + ctx_.config.pong_timeout;
}

void Session::handle(const msg::Forward& m, std::string_view frame) {
  if (state_ != State::registered) return fail(Failure::registration_incomplete);
  // Alone in the room: the Ayame server drops it too (there is nobody to forward to).
  if (other_.empty()) return;
  ctx_.router.relay(room_, connection_id_, other_,
                    event::Relay{relayed_type(m.type), std::make_shared<const std::string>(frame)});
}

void Session::handle(const msg::Connected&) {
  if (state_ != State::registered) return fail(Failure::registration_incomplete);
  // Standalone mode: the peer connection is up and the signaling connection is done with.
  if (standalone_) close(close_code::normal, "");
}

void Session::fail(Failure f) {
  ctx_.metrics.failures[static_cast<std::size_t>(f)]->inc();
  // A register that cannot be accepted is told why before the close (the Ayame server only closes).
  if (state_ == State::idle && (f == Failure::missing_room_id || f == Failure::field_too_large)) {
    reject(std::string(to_string(f)));
  }
  close(close_code::normal, to_string(f));
}

void Session::on(event::Admitted& e) {
  if (state_ != State::registering || e.id != connection_id_) return;
  state_ = State::registered;
  accepted_ = true;
  if (authn_) authn_->on_admitted();
  const bool exist = !e.peers.empty();
  if (exist) other_ = e.peers.front().id;
  auto ice = granted_ice_servers_ ? std::move(*granted_ice_servers_)
                                  : ctx_.ice_servers.ice_servers_for({connection_id_, connection_id_});
  send(msg::Accept{connection_id_, std::move(authz_metadata_), std::move(ice), exist});
  ctx_.router.announce_joined(room_, connection_id_);
}

void Session::on(event::Granted& e) {
  if (state_ != State::authorizing || e.id != connection_id_) return;
  granted_ice_servers_ = std::move(e.grant.ice_servers);
  if (!e.grant.meta.empty()) authz_metadata_ = std::move(e.grant.meta);
  join();
}

void Session::on(event::Refused& e) {
  if (state_ == State::authorizing && e.id == connection_id_) {
    // The webhook's answer: its reason, or Ayame's InternalServerError when it could not decide.
    state_ = State::idle;
    reject(std::move(e.message));
    return close(close_code::normal, "");
  }
  if (state_ != State::registering || e.id != connection_id_) return;
  state_ = State::idle;  // nothing to leave
  if (e.code == ErrorCode::room_full) ctx_.metrics.rejected_full->inc();
  reject(e.code == ErrorCode::room_full ? "full" : "InternalServerError");
  close(close_code::normal, "");
}

void Session::on(event::PeerJoined& e) {
  if (state_ == State::registered && other_.empty()) other_ = std::move(e.peer.id);
}

void Session::on(event::PeerLeft& e) {
  if (state_ != State::registered || e.id != other_) return;
  // The Ayame server ends the room when either member leaves: the other gets bye, then a close.
  if (!standalone_) send(msg::Bye{});
  close(close_code::normal, "");
}

void Session::on(event::Relay& e) {
  if (state_ == State::registered) link().send(std::move(e.frame));
}

void Session::on(event::Undeliverable&) {
  // The other member left meanwhile; its PeerLeft follows (or came first) and ends this connection.
}

void Session::on(event::Drain&) {
  close(close_code::going_away, "server going away");
}

void Session::send(const ServerMessage& m) {
  CompatSession::send(serialize(m));
}

void Session::reject(std::string reason) {
  send(msg::Reject{std::move(reason)});
}

void Session::leave_room(LeaveReason reason) {
  if (state_ != State::registering && state_ != State::registered) return;
  ctx_.router.leave(room_, connection_id_, reason);
  state_ = State::idle;
}

}  // namespace sb::signaling::ayame
