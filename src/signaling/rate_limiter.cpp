#include "signaling/rate_limiter.hpp"

namespace sb::signaling {

RateLimiter::Verdict RateLimiter::on_message(util::TimePoint now) {
  if (bucket_.take(1, now, spec())) return Verdict::allow;
  // Fixed window opened by the first rejection: cheap (no per-message history) and good enough to tell a
  // burst from sustained abuse.
  if (rejected_in_window_ == 0 || now - abuse_window_start_ > config_->abuse_window) {
    abuse_window_start_ = now;
    rejected_in_window_ = 0;
  }
  ++rejected_in_window_;
  return rejected_in_window_ >= config_->abuse_close ? Verdict::close : Verdict::reject;
}

}  // namespace sb::signaling
