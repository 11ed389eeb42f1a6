#include "signaling/rate_limiter.hpp"

#include <algorithm>

namespace sb::signaling {

RateLimiter::Verdict RateLimiter::on_message(util::TimePoint now) {
  if (now > last_refill_) {
    const double elapsed = std::chrono::duration<double>(now - last_refill_).count();
    tokens_ = std::min(config_->burst, tokens_ + elapsed * config_->rate);
    last_refill_ = now;
  }
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return Verdict::allow;
  }
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
