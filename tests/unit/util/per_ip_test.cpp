// Limits per source IP: counts per address (IPv4) or /64 (IPv6), refusals counted, memory released.
#include "util/per_ip.hpp"

#include <gtest/gtest.h>

namespace sb::util {
namespace {

IpAddress ip(const char* s) { return *parse_ip(s); }

TEST(PerIpCounter, LimitsEachSourceAndCountsRefusals) {
  PerIpCounter c(2);
  EXPECT_TRUE(c.try_acquire(ip("203.0.113.1")));
  EXPECT_TRUE(c.try_acquire(ip("203.0.113.1")));
  EXPECT_FALSE(c.try_acquire(ip("203.0.113.1")));
  EXPECT_TRUE(c.try_acquire(ip("203.0.113.2")));  // another source has its own count
  EXPECT_EQ(c.refused(), 1u);
  c.release(ip("203.0.113.1"));
  EXPECT_TRUE(c.try_acquire(ip("203.0.113.1")));
  EXPECT_EQ(c.held(ip("203.0.113.1")), 2u);
  c.release(ip("198.51.100.1"));  // never held: ignored
  EXPECT_EQ(c.held(ip("198.51.100.1")), 0u);
}

TEST(PerIpCounter, Ipv6CountsPerSlash64) {
  PerIpCounter c(2);
  EXPECT_TRUE(c.try_acquire(ip("2001:db8:1:2::1")));
  EXPECT_TRUE(c.try_acquire(ip("2001:db8:1:2:ffff::9")));
  EXPECT_FALSE(c.try_acquire(ip("2001:db8:1:2:1234::")));  // same /64
  EXPECT_TRUE(c.try_acquire(ip("2001:db8:1:3::1")));       // next /64
  c.release(ip("2001:db8:1:2::77"));
  EXPECT_EQ(c.held(ip("2001:db8:1:2::")), 1u);
}

TEST(PerIpCounter, ZeroMeansNoLimit) {
  PerIpCounter c(0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(c.try_acquire(ip("203.0.113.1")));
  EXPECT_EQ(c.refused(), 0u);
}

TEST(PerIpRate, TokenBucketPerSource) {
  PerIpRate r({2, 3});  // 2/s, burst 3
  const TimePoint t0{};
  int ok = 0;
  for (int i = 0; i < 10; ++i) ok += r.allow(ip("203.0.113.1"), t0);
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(r.refused(), 7u);
  EXPECT_TRUE(r.allow(ip("203.0.113.2"), t0));
  EXPECT_TRUE(r.allow(ip("203.0.113.1"), t0 + std::chrono::milliseconds(500)));   // one token back
  EXPECT_FALSE(r.allow(ip("203.0.113.1"), t0 + std::chrono::milliseconds(600)));
  // Long idle: full again.
  ok = 0;
  for (int i = 0; i < 10; ++i) ok += r.allow(ip("203.0.113.1"), t0 + std::chrono::seconds(60));
  EXPECT_EQ(ok, 3);
}

}  // namespace
}  // namespace sb::util
