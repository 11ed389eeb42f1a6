#include "util/token_bucket.hpp"

#include <gtest/gtest.h>

#include <array>

namespace sb::util {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, StartsFullDrainsAndRefillsAtTheRateUpToTheBurst) {
  ManualClock clock;
  const RateSpec spec{10, 3};  // 10 tokens/s, bucket of 3
  TokenBucket b;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.take(1, clock.now(), spec));
  EXPECT_FALSE(b.take(1, clock.now(), spec));
  clock.advance(99ms);
  EXPECT_FALSE(b.take(1, clock.now(), spec));  // 0.99 tokens
  clock.advance(1ms);
  EXPECT_TRUE(b.take(1, clock.now(), spec));
  clock.advance(10s);  // long idle: capped at the burst
  EXPECT_DOUBLE_EQ(b.available(clock.now(), spec), 3);
}

TEST(TokenBucket, TakesSeveralTokensAtOnceOrNone) {
  ManualClock clock;
  const RateSpec spec{1000, 1500};  // bytes
  TokenBucket b;
  EXPECT_TRUE(b.take(1200, clock.now(), spec));
  EXPECT_FALSE(b.take(400, clock.now(), spec));  // 300 left: nothing is taken
  EXPECT_TRUE(b.take(300, clock.now(), spec));
}

TEST(TokenBucket, UnlimitedSpecAlwaysAllowsAndTimeGoingBackIsIgnored) {
  ManualClock clock;
  clock.advance(1s);
  TokenBucket b;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(b.take(1e9, clock.now(), RateSpec{}));
  const RateSpec spec{1, 1};
  EXPECT_TRUE(b.take(1, clock.now(), spec));
  EXPECT_FALSE(b.take(1, clock.now() - 5s, spec));
}

TEST(KeyedBuckets, KeysHaveTheirOwnBuckets) {
  ManualClock clock;
  KeyedBuckets t({1, 2}, 1024);
  const std::array<std::uint8_t, 4> a{192, 0, 2, 1}, b{192, 0, 2, 2};
  EXPECT_TRUE(t.take(a, clock.now()));
  EXPECT_TRUE(t.take(a, clock.now()));
  EXPECT_FALSE(t.take(a, clock.now()));
  // With 1024 buckets a collision between these two is possible but rare; a fresh table re-keys the hash.
  KeyedBuckets fresh({1, 2}, 1 << 16);
  EXPECT_TRUE(fresh.take(a, clock.now()));
  EXPECT_TRUE(fresh.take(a, clock.now()));
  EXPECT_TRUE(fresh.take(b, clock.now()));
  EXPECT_FALSE(fresh.take(a, clock.now()));
  clock.advance(std::chrono::seconds(1));
  EXPECT_TRUE(fresh.take(a, clock.now()));
}

TEST(KeyedBuckets, TableSizeIsBoundedWhateverTheNumberOfKeys) {
  ManualClock clock;
  KeyedBuckets t({1, 1}, 3);  // rounded up to 4 buckets
  int allowed = 0;
  for (std::uint32_t i = 0; i < 100; ++i) {
    const std::array<std::uint8_t, 4> key{static_cast<std::uint8_t>(i), 0, 0, 0};
    allowed += t.take(key, clock.now()) ? 1 : 0;
  }
  EXPECT_LE(allowed, 4);  // every key shares one of 4 buckets of one token
  EXPECT_GE(allowed, 1);
}

}  // namespace
}  // namespace sb::util
