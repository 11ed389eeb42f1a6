// PortRegistry: range, randomness, EVEN-PORT pairs, reservations.
#include <gtest/gtest.h>

#include <set>

#include "turn/relay.hpp"

namespace sb::turn {
namespace {

TEST(PortRegistry, HandsOutEveryPortOfTheRangeOnceThenNothing) {
  PortRegistry r(60000, 60099);
  std::set<std::uint16_t> seen;
  for (int i = 0; i < 100; ++i) {
    const auto p = r.acquire(Family::kIPv4, false, false);
    ASSERT_TRUE(p);
    EXPECT_GE(*p, 60000);
    EXPECT_LE(*p, 60099);
    seen.insert(*p);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_FALSE(r.acquire(Family::kIPv4, false, false));
  EXPECT_TRUE(r.acquire(Family::kIPv6, false, false));  // families are separate
  r.release(Family::kIPv4, 60042);
  EXPECT_EQ(r.acquire(Family::kIPv4, false, false), 60042);
}

TEST(PortRegistry, ChoiceIsNotSequential) {
  PortRegistry r(1024, 65535);
  std::set<std::uint16_t> first;
  for (int i = 0; i < 20; ++i) first.insert(*r.acquire(Family::kIPv4, false, false));
  // 20 CSPRNG draws over 64512 ports: all distinct and spread (not a run of neighbours).
  EXPECT_EQ(first.size(), 20u);
  EXPECT_GT(*first.rbegin() - *first.begin(), 1000);
}

TEST(PortRegistry, EvenPortPairsAndReservations) {
  PortRegistry r(50000, 50003);
  const auto p = r.acquire(Family::kIPv4, true, true);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p % 2, 0);
  EXPECT_EQ(r.used(Family::kIPv4), 2u);
  const util::TimePoint t0{};
  const auto token = r.reserve(Family::kIPv4, static_cast<std::uint16_t>(*p + 1), t0 + std::chrono::seconds(30));
  const auto got = r.redeem(token, t0 + std::chrono::seconds(10));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->second, *p + 1);
  EXPECT_FALSE(r.redeem(token, t0));  // once only
  const auto q = r.acquire(Family::kIPv4, true, true);
  ASSERT_TRUE(q);
  EXPECT_FALSE(r.acquire(Family::kIPv4, true, false));  // all four used
  const auto token2 = r.reserve(Family::kIPv4, static_cast<std::uint16_t>(*q + 1), t0 + std::chrono::seconds(30));
  EXPECT_EQ(r.sweep(t0 + std::chrono::seconds(29)), 0u);
  EXPECT_EQ(r.sweep(t0 + std::chrono::seconds(30)), 1u);
  EXPECT_EQ(r.used(Family::kIPv4), 3u);
  EXPECT_FALSE(r.redeem(token2, t0));
}

}  // namespace
}  // namespace sb::turn
