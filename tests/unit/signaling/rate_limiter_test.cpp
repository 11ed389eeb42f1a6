#include "signaling/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace sb::signaling {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using V = RateLimiter::Verdict;

TEST(RateLimiter, AllowsTheBurstThenRejects) {
  util::ManualClock clock;
  RateLimitConfig cfg{10, 5, 100, seconds(10)};
  RateLimiter rl(cfg, clock.now());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rl.on_message(clock.now()), V::allow) << i;
  EXPECT_EQ(rl.on_message(clock.now()), V::reject);
}

TEST(RateLimiter, RefillsAtTheConfiguredRate) {
  util::ManualClock clock;
  RateLimitConfig cfg{10, 5, 100, seconds(10)};
  RateLimiter rl(cfg, clock.now());
  for (int i = 0; i < 5; ++i) rl.on_message(clock.now());
  clock.advance(milliseconds(100));  // one token at 10/s
  EXPECT_EQ(rl.on_message(clock.now()), V::allow);
  EXPECT_EQ(rl.on_message(clock.now()), V::reject);
  clock.advance(seconds(60));  // refills to the burst, not beyond
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rl.on_message(clock.now()), V::allow);
  EXPECT_EQ(rl.on_message(clock.now()), V::reject);
}

TEST(RateLimiter, SustainedAbuseAsksToClose) {
  util::ManualClock clock;
  RateLimitConfig cfg{1, 1, 3, seconds(10)};
  RateLimiter rl(cfg, clock.now());
  EXPECT_EQ(rl.on_message(clock.now()), V::allow);
  EXPECT_EQ(rl.on_message(clock.now()), V::reject);
  EXPECT_EQ(rl.on_message(clock.now()), V::reject);
  EXPECT_EQ(rl.on_message(clock.now()), V::close);
}

TEST(RateLimiter, AbuseWindowExpires) {
  util::ManualClock clock;
  RateLimitConfig cfg{0.01, 1, 3, seconds(10)};
  RateLimiter rl(cfg, clock.now());
  EXPECT_EQ(rl.on_message(clock.now()), V::allow);
  EXPECT_EQ(rl.on_message(clock.now()), V::reject);
  EXPECT_EQ(rl.on_message(clock.now()), V::reject);
  clock.advance(seconds(11));
  EXPECT_EQ(rl.on_message(clock.now()), V::reject);  // a new window: count restarts at 1
  EXPECT_EQ(rl.on_message(clock.now()), V::reject);
  EXPECT_EQ(rl.on_message(clock.now()), V::close);
}

}  // namespace
}  // namespace sb::signaling
