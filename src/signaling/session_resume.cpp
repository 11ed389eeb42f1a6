// The v1 session's side of session resume (resume.hpp; docs/signaling-protocol.md, "Resume").
#include "signaling/session.hpp"

namespace sb::signaling {

void Session::on_lost(LeaveReason reason) { park_or_leave(reason, false); }

void Session::park_or_leave(LeaveReason reason, bool drained) {
  closing_ = true;
  if (!resumable()) return leave_room(reason);
  switch (ctx_.resume->park(record_, owner_, ctx_.clock.now(), drained)) {
    case ResumeRegistry::Park::parked:
    case ResumeRegistry::Park::replaced:
      break;  // the session lives on (parked, or on another connection): nothing of it is ours now
    case ResumeRegistry::Park::refused:
      ctx_.router.leave(room_, peer_id_, reason);  // too many parked sessions: leave as before
      break;
  }
  to_idle();
}

// The node is going away and another node can take the session over (ResumeRegistry::drain, a cluster): the client
// hears `drain` and the server closes the connection (1001), but the session is parked, as for a dropped
// connection, not ended: the room hears peer-reconnecting, and the client resumes on another node, which takes the
// session over from this one (docs/cluster.md, "Resume across nodes"). Unwritten frames stay kept for the resume.
void Session::on_drained() {
  link_.send(std::make_shared<const std::string>(serialize(ServerMessage{msg::Drain{}})));
  park_or_leave(LeaveReason::disconnect, true);
  link_.close(close_code::going_away, "server shutting down");
}

void Session::handle(const msg::Resume& m) {
  if (state_ != State::idle) {
    send_error(ErrorCode::already_joined, "already in room " + room_ + "; resume on a new connection", "", "resume");
    return;
  }
  if (ctx_.resume == nullptr || !ctx_.resume->enabled()) {
    send_error(ErrorCode::resume_refused, "this server does not keep sessions for resume; join again", "",
               "resume", std::string(to_string(ResumeRefusal::expired)));
    return;
  }
  if (ctx_.resume->draining()) {
    // A draining node holds no session for long: what every connection of it hears, `drain` and 1001, sends
    // the client elsewhere with its ticket intact (the session, parked or not, is not touched).
    link_.send(std::make_shared<const std::string>(serialize(ServerMessage{msg::Drain{}})));
    closing_ = true;
    link_.close(close_code::going_away, "server shutting down");
    return;
  }
  asked_.reset();
  resume(m, true);
}

void Session::on(event::ResumeAnswer& e) {
  if (!asked_ || asked_->session != e.session || state_ != State::idle) return;  // a question since replaced
  const msg::Resume m = std::move(*asked_);
  asked_.reset();
  if (e.found) return resume(m, false);  // handed over: held here now
  send_error(e.code, std::move(e.message), e.reason ? "" : "seq", "resume",
             e.reason ? std::string(to_string(*e.reason)) : std::string());
}

void Session::resume(const msg::Resume& m, bool ask_others) {
  const std::uint64_t owner = ctx_.resume->next_owner();
  auto outcome = ctx_.resume->resume(m, owner, member_, ctx_.clock.now(), ask_others);
  if (std::holds_alternative<ResumeAsked>(outcome)) {
    asked_ = m;  // the answer comes as an event::ResumeAnswer
    return;
  }
  if (auto* failed = std::get_if<ResumeFailed>(&outcome)) {
    send_error(failed->code, std::move(failed->message), failed->reason ? "" : "seq", "resume",
               failed->reason ? std::string(to_string(*failed->reason)) : std::string());
    return;
  }
  auto& ok = std::get<ResumeAccepted>(outcome);
  owner_ = owner;
  record_ = std::move(ok.record);
  room_ = std::move(ok.room);
  peer_id_ = std::move(ok.peer_id);
  state_ = State::joined;
  // The session's secret proves an admission (docs/auth.md): the new connection is admitted with the grant
  // the join had (its identity names the TURN credentials; its `turn` still decides whether there are any).
  grant_ = record_->grant;
  if (!admitted_) {
    admitted_ = true;
    if (gate_ != nullptr) gate_->on_admitted();
  }
  // Fresh ICE servers: TURN credentials may have expired since the join. Not numbered (it starts the new
  // connection); the kept frames after the client's seq follow it, in order.
  link_.send(std::make_shared<const std::string>(serialize(
      ServerMessage{msg::Resumed{peer_id_, room_, std::move(ok.ticket), ok.received, ice_servers()}})));
  flush();
}

void Session::handle(const msg::Ack& m) {
  if (!resumable()) return;  // nothing to forget: not an error
  if (const auto a = record_->ack(owner_, m.seq); a != ResumeRecord::Access::ok) on_record_lost(a);
}

void Session::flush() {
  const auto access = record_->take_unwritten(owner_, unwritten_);
  if (access != ResumeRecord::Access::ok) return on_record_lost(access);
  for (auto& k : unwritten_) link_.send_numbered(std::move(k.frame), k.seq);
  unwritten_.clear();
}

// The record is not ours any more: a resume on another connection took it over, or the session ended (its
// kept messages overflowed, or a replayed secret ended it). Either way the room is not ours to leave.
void Session::on_record_lost(ResumeRecord::Access access) {
  const bool overflowed = access == ResumeRecord::Access::ended && record_->end_reason() == LeaveReason::dropped;
  closing_ = true;
  to_idle();
  if (access == ResumeRecord::Access::replaced) {
    link_.close(close_code::session_taken_over, "session resumed on another connection");
  } else if (overflowed) {
    ctx_.counters.closed_overflow_total.inc();
    link_.close(close_code::send_queue_overflow, "send queue overflow");
  } else {
    link_.close(close_code::normal, "session ended");
  }
}

bool Session::count_received() {
  if (!resumable()) return true;
  const auto a = record_->count_received(owner_);
  if (a == ResumeRecord::Access::ok) return true;
  on_record_lost(a);
  return false;
}

}  // namespace sb::signaling
