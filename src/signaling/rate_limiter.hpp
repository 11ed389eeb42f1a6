// Per-connection token bucket (refill `rate` tokens/s up to `burst`; one token per message), plus an
// abuse counter: `abuse_close` rejected messages within `abuse_window` ask the caller to close (1008).
// Time is passed in, so tests drive it with a ManualClock.
#pragma once

#include <chrono>
#include <cstdint>

#include "util/clock.hpp"
#include "util/token_bucket.hpp"

namespace sb::signaling {

struct RateLimitConfig {
  double rate = 50;      // messages per second
  double burst = 100;    // bucket size
  std::uint32_t abuse_close = 50;
  util::Duration abuse_window = std::chrono::seconds(10);
};

class RateLimiter {
 public:
  enum class Verdict : std::uint8_t { allow, reject, close };

  RateLimiter(const RateLimitConfig& config, util::TimePoint now) : config_(&config) {
    (void)bucket_.available(now, spec());  // starts full now
  }

  Verdict on_message(util::TimePoint now);

 private:
  util::RateSpec spec() const { return {config_->rate, config_->burst}; }

  const RateLimitConfig* config_;  // shared by every session; outlives them
  util::TokenBucket bucket_;
  util::TimePoint abuse_window_start_{};
  std::uint32_t rejected_in_window_ = 0;
};

}  // namespace sb::signaling
