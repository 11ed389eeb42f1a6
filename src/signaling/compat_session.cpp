#include "signaling/compat_session.hpp"

namespace sb::signaling {

CompatSession::CompatSession(PeerLink& link, std::weak_ptr<Member> member, Counters& counters,
                             const util::Clock& clock, const RateLimitConfig& rate)
    : link_(link), member_(std::move(member)), counters_(counters), clock_(clock), limiter_(rate, clock.now()) {}

void CompatSession::on_text(std::string_view frame) {
  if (closed() || !takes_frames()) return;
  counters_.messages_received_total.inc();
  switch (limiter_.on_message(clock_.now())) {
    case RateLimiter::Verdict::allow:
      break;
    case RateLimiter::Verdict::reject:
      counters_.count_rate_limited();
      return;  // no error a client of these protocols survives: over the rate, frames are dropped
    case RateLimiter::Verdict::close:
      counters_.count_rate_limited();
      counters_.closed_rate_limit_total.inc();
      return close(close_code::policy_violation, "rate limit abuse");
  }
  on_frame(frame);
}

void CompatSession::on_closed(LeaveReason reason) {
  leave_room(reason);
  set_closed();
}

void CompatSession::close(std::uint16_t code, std::string_view reason) {
  if (closed()) return;
  leave_room(LeaveReason::disconnect);
  set_closed();
  link_.close(code, std::string(reason));
}

}  // namespace sb::signaling
