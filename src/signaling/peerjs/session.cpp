#include "signaling/peerjs/session.hpp"

namespace sb::signaling::peerjs {
namespace {

std::optional<RelayedType> held_type(Type t) {
  switch (t) {
    case Type::offer:
      return RelayedType::offer;
    case Type::answer:
      return RelayedType::answer;
    case Type::candidate:
      return RelayedType::candidate;
    default:
      return std::nullopt;  // LEAVE and EXPIRE never wait
  }
}

std::shared_ptr<const std::string> shared(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

}  // namespace

Metrics Metrics::make(metrics::Registry& r) {
  Metrics m;
  m.dropped = r.counter_family<DropReason, kDropReasonCount>(
      "signalbox_peerjs_dropped_total", "PeerJS frames dropped unanswered, as peer ignores them.", "reason",
      [](DropReason d) { return to_string(d); });
  m.held =
      &r.counter("signalbox_peerjs_held_total", "PeerJS relays that waited for an id not connected yet.");
  m.held_refused = &r.counter("signalbox_peerjs_held_refused_total",
                              "PeerJS relays for an absent id dropped over the session's bound.");
  m.expired = &r.counter("signalbox_peerjs_expired_total", "PeerJS EXPIRE messages sent.");
  return m;
}

Session::Session(const Context& ctx, PeerLink& link, std::weak_ptr<Member> member, std::string_view query)
    : CompatSession(link, std::move(member), ctx.counters, ctx.clock, ctx.rate),
      ctx_(ctx),
      query_(query),
      pending_(ctx.config.pending, ctx.config.expire_timeout),
      last_heartbeat_(ctx.clock.now()) {}

void Session::on_open() {
  auto params = connect_params(query_, ctx_.config.limits);
  query_.clear();
  if (auto* e = std::get_if<ErrorText>(&params)) return refuse(error_frame(*e));
  auto& p = std::get<ConnectParams>(params);
  if (p.key != ctx_.config.key) return refuse(error_frame(ErrorText::invalid_key));
  room_ = std::string(kRoomPrefix) + p.key;
  id_ = std::move(p.id);
  hold_ = std::make_shared<Attachments::Hold>();
  hold_->token = std::move(p.token);
  hold_->member = member();
  // No presence: a room of thousands announces nobody, and PeerJS has no such messages.
  switch (ctx_.attachments.join(JoinRequest{room_, PeerInfo{id_, ""}, ctx_.config.concurrent_limit, false},
                                hold_, member())) {
    case Attachments::Outcome::id_taken:
      return refuse(serialize(msg::IdTaken{}));
    case Attachments::Outcome::taken_over:
      reattached_ = true;
      break;
    case Attachments::Outcome::joined:
      break;
  }
  in_room_ = true;
}

Session::~Session() {
  leave_room(LeaveReason::disconnect);
}

void Session::on_frame(std::string_view frame) {
  if (state_ == State::joining) {
    // The client may send before its OPEN arrives; keep a few frames for then (drop beyond).
    if (early_.size() < ctx_.config.max_early_frames) early_.emplace_back(frame);
    return;
  }
  auto m = parse_client_message(frame, ctx_.config.limits);
  std::visit([this](const auto& x) { handle(x); }, m);
}

void Session::on_event(Event& event) {
  if (state_ == State::closed) return;
  if (hold_ && hold_->replaced.load(std::memory_order_acquire)) {
    // The relays the router delivered before the id was taken over are this connection's, as on peer; the
    // wake-up that follows them (Drain) closes it.
    auto* relay = std::get_if<event::Relay>(&event);
    if (relay && state_ == State::open) return link().send(std::move(relay->frame));
    replaced_now();
    return;
  }
  std::visit([this](auto& e) { on(e); }, event);
}

std::optional<util::TimePoint> Session::next_deadline() const {
  if (state_ != State::open) return std::nullopt;
  auto next = last_heartbeat_ + ctx_.config.alive_timeout;
  if (auto p = pending_.next_deadline(); p && *p < next) next = *p;
  return next;
}

void Session::on_timer(util::TimePoint now) {
  if (state_ != State::open || replaced_now()) return;
  // peer closes a client whose last HEARTBEAT is alive_timeout old; any frame counts here.
  if (now >= last_heartbeat_ + ctx_.config.alive_timeout) return close(close_code::normal, "alive timeout");
  for (const auto& target : pending_.expire(now)) send_expire(target);
}

void Session::handle(const msg::Relay& m) {
  last_heartbeat_ = ctx_.clock.now();
  if (m.dst.empty()) {
    // LEAVE without dst: the client leaves (peer forgets the id but keeps the socket; one id, one connection
    // here). Other types without dst are ignored, as by peer.
    if (m.type == Type::leave) close(close_code::normal, "leave");
    return;
  }
  if (!is_valid_id(m.dst, ctx_.config.limits.max_id_bytes)) {
    // An id no client can have: what would wait for it expires at once.
    if (held_type(m.type)) send_expire(m.dst);
    return;
  }
  relay(m.type, m.dst, shared(relay_frame(m.type, id_, m.dst, m.payload)));
}

void Session::handle(const msg::Heartbeat&) {
  last_heartbeat_ = ctx_.clock.now();
}

void Session::handle(const Dropped& m) {
  ctx_.metrics.dropped[static_cast<std::size_t>(m.reason)]->inc();
  // What peer ignores gets no answer (the peerjs client destroys itself on any ERROR).
  last_heartbeat_ = ctx_.clock.now();
}

void Session::relay(Type type, const std::string& dst, std::shared_ptr<const std::string> frame) {
  const auto held = held_type(type);
  // Behind relays already waiting for dst, to keep their order.
  if (held && pending_.waiting_for(dst)) return hold(dst, *held, std::move(frame));
  ctx_.router.relay(room_, id_, dst, event::Relay{held.value_or(RelayedType::other), std::move(frame)});
}

void Session::hold(const std::string& dst, RelayedType type, std::shared_ptr<const std::string> frame) {
  const bool first = !pending_.waiting_for(dst);
  if (pending_.add(dst, PendingRelay{type, std::move(frame)}, ctx_.clock.now()) ==
      PendingRelays::Result::full) {
    ctx_.metrics.held_refused->inc();
    return;  // over this session's bound: dropped (the EXPIRE for dst, if any waits, still comes)
  }
  ctx_.metrics.held->inc();
  if (first) ctx_.router.watch(room_, id_, dst);
}

void Session::send_expire(const std::string& target) {
  ctx_.metrics.expired->inc();
  ctx_.router.unwatch(room_, id_, target);
  send(serialize(msg::Relayed{Type::expire, target, id_, std::nullopt}));
}

void Session::on(event::Admitted& e) {
  if (state_ != State::joining || e.id != id_) return;
  state_ = State::open;
  if (e.took_over) reattached_ = true;  // the id was held on another node of the cluster
  ctx_.attachments.admitted(room_, id_, hold_);
  // A re-attached connection gets no OPEN: peer 1.0.x only switches the id's socket over.
  if (!reattached_) send(serialize(msg::Open{}));
  // Watchers of this id learn now, after our OPEN, that it is here.
  ctx_.router.announce_joined(room_, id_);
  auto early = std::move(early_);
  for (const auto& f : early) on_text(f);
}

void Session::on(event::Refused& e) {
  if (state_ != State::joining || e.id != id_) return;
  in_room_ = false;
  if (e.code == ErrorCode::id_taken) return refuse(serialize(msg::IdTaken{}));
  if (e.code == ErrorCode::room_full || e.code == ErrorCode::server_full) {
    return refuse(error_frame(ErrorText::concurrent_limit));
  }
  refuse(serialize(msg::Error{e.message}));
}

void Session::on(event::PeerJoined& e) {
  // A watched id has arrived: what waited for it goes now, in order.
  for (auto& r : pending_.take(e.peer.id)) {
    ctx_.router.relay(room_, id_, e.peer.id, event::Relay{r.type, std::move(r.frame)});
  }
  ctx_.router.unwatch(room_, id_, e.peer.id);
}

void Session::on(event::PeerLeft&) {}  // never sent without presence

void Session::on(event::Relay& e) {
  // A re-attached id was known before its join was answered: what reaches it then is for this connection.
  if (state_ == State::open || reattached_) link().send(std::move(e.frame));
}

void Session::on(event::Undeliverable& e) {
  // Not connected (or on a node out of reach): OFFER, ANSWER and CANDIDATE wait for it; LEAVE and EXPIRE
  // are dropped, as by peer.
  if (e.type == RelayedType::other || !e.frame || state_ != State::open) return;
  hold(e.to, e.type, std::move(e.frame));
}

void Session::on(event::Drain&) {
  close(close_code::going_away, "server going away");
}

bool Session::replaced_now() {
  if (!hold_ || !hold_->replaced.load(std::memory_order_acquire)) return false;
  in_room_ = false;  // the id and its room membership are the new connection's
  close(close_code::normal, "re-attached on another connection");
  return true;
}

void Session::refuse(std::string frame) {
  send(std::move(frame));
  close(close_code::normal, "");
}

void Session::leave_room(LeaveReason reason) {
  if (!in_room_) return;
  in_room_ = false;
  ctx_.attachments.leave(room_, id_, hold_, reason);  // also drops this member's watches
}

}  // namespace sb::signaling::peerjs
