// Per-connection token bucket (refill `rate` tokens/s up to `burst`; one token per message), plus an
// abuse counter: `abuse_close` rejected messages within `abuse_window` ask the caller to close (1008).
// Time is passed in, so tests drive it with a ManualClock.
#pragma once

#include <chrono>
#include <cstdint>

#include "util/clock.hpp"

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

  RateLimiter(const RateLimitConfig& config, util::TimePoint now)
      : config_(&config), tokens_(config.burst), last_refill_(now) {}

  Verdict on_message(util::TimePoint now);

 private:
  const RateLimitConfig* config_;  // shared by every session; outlives them
  double tokens_;
  util::TimePoint last_refill_;
  util::TimePoint abuse_window_start_{};
  std::uint32_t rejected_in_window_ = 0;
};

}  // namespace sb::signaling
