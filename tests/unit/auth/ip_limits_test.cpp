#include "auth/ip_limits.hpp"

#include <gtest/gtest.h>

namespace sb::auth {
namespace {

using std::chrono::seconds;

util::IpAddress ip(const char* text) { return *util::parse_ip(text); }

TEST(PendingPerIp, CountsEachAddressUpToItsLimit) {
  PendingPerIp p(2, 100);
  EXPECT_TRUE(p.try_add(ip("192.0.2.1")));
  EXPECT_TRUE(p.try_add(ip("192.0.2.1")));
  EXPECT_FALSE(p.try_add(ip("192.0.2.1")));
  EXPECT_TRUE(p.try_add(ip("2001:db8::1")));  // another address is not affected
  p.remove(ip("192.0.2.1"));
  EXPECT_EQ(p.count(ip("192.0.2.1")), 1u);
  EXPECT_TRUE(p.try_add(ip("192.0.2.1")));
  p.remove(ip("198.51.100.9"));  // never added: ignored
  EXPECT_EQ(p.count(ip("198.51.100.9")), 0u);
}

TEST(PendingPerIp, TracksABoundedNumberOfAddresses) {
  PendingPerIp p(5, 2);
  EXPECT_TRUE(p.try_add(ip("192.0.2.1")));
  EXPECT_TRUE(p.try_add(ip("192.0.2.2")));
  EXPECT_FALSE(p.try_add(ip("192.0.2.3")));
  p.remove(ip("192.0.2.1"));
  EXPECT_TRUE(p.try_add(ip("192.0.2.3")));
}

TEST(FailuresPerIp, BlocksForTheRestOfTheWindow) {
  util::ManualClock clock;
  FailuresPerIp f(3, seconds(60), 100);
  const auto a = ip("192.0.2.1");
  for (int i = 0; i < 2; ++i) f.record(a, clock.now());
  EXPECT_FALSE(f.blocked(a, clock.now()));
  clock.advance(seconds(30));
  f.record(a, clock.now());
  EXPECT_TRUE(f.blocked(a, clock.now()));
  EXPECT_FALSE(f.blocked(ip("192.0.2.2"), clock.now()));
  clock.advance(seconds(29));
  EXPECT_TRUE(f.blocked(a, clock.now()));
  clock.advance(seconds(1));  // the window that began with the first failure is over
  EXPECT_FALSE(f.blocked(a, clock.now()));
  f.record(a, clock.now());
  EXPECT_FALSE(f.blocked(a, clock.now()));
}

TEST(FailuresPerIp, ForgetsExpiredAddressesWhenFull) {
  util::ManualClock clock;
  FailuresPerIp f(1, seconds(10), 2);
  f.record(ip("192.0.2.1"), clock.now());
  f.record(ip("192.0.2.2"), clock.now());
  f.record(ip("192.0.2.3"), clock.now());  // full: not counted
  EXPECT_FALSE(f.blocked(ip("192.0.2.3"), clock.now()));
  clock.advance(seconds(10));
  f.record(ip("192.0.2.3"), clock.now());  // the expired ones were swept
  EXPECT_TRUE(f.blocked(ip("192.0.2.3"), clock.now()));
}

}  // namespace
}  // namespace sb::auth
