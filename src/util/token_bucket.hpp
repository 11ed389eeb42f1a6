// The one token bucket: every rate and bandwidth limit in signalbox (messages per connection, 401 answers per
// source IP, bytes per allocation, ...) is a TokenBucket value plus the policy (RateSpec) of its owner. The
// policy is passed in on each call rather than stored, so a table of buckets costs 24 bytes a bucket and a
// policy change applies to every bucket at once. Time is passed in: cores and tests drive it with a Clock.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "util/clock.hpp"

namespace sb::util {

struct RateSpec {
  double rate = 0;   // tokens per second; <= 0: unlimited
  double burst = 0;  // bucket size; a new bucket starts full
  bool unlimited() const { return rate <= 0; }
};

class TokenBucket {
 public:
  // Refills for the time since the last call, then takes `n` tokens if there are that many. A bucket never
  // used before starts full. Unlimited specs always succeed.
  bool take(double n, TimePoint now, const RateSpec& spec) {
    if (spec.unlimited()) return true;
    refill(now, spec);
    if (tokens_ < n) return false;
    tokens_ -= n;
    return true;
  }
  // Tokens available now (after refill).
  double available(TimePoint now, const RateSpec& spec) {
    refill(now, spec);
    return tokens_;
  }

 private:
  void refill(TimePoint now, const RateSpec& spec) {
    if (!started_) {
      started_ = true;
      tokens_ = spec.burst;
      last_ = now;
      return;
    }
    if (now <= last_) return;
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(spec.burst, tokens_ + elapsed * spec.rate);
    last_ = now;
  }

  double tokens_ = 0;
  TimePoint last_{};
  bool started_ = false;
};

// splitmix64's finaliser: a fast, well-mixed 64-bit hash step (keyed tables, shard selection).
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A fixed table of token buckets indexed by a keyed hash of a byte key (a source IP): memory is bounded by the
// table size whatever the number of keys, and keys that collide share a bucket (harmless: it only makes the
// limit stricter for them). The hash key is random, so sources cannot aim at one bucket. Not thread-safe:
// one per shard or behind the owner's lock.
class KeyedBuckets {
 public:
  // `buckets` is rounded up to a power of two.
  KeyedBuckets(RateSpec spec, std::uint32_t buckets);
  bool take(std::span<const std::uint8_t> key, TimePoint now, double n = 1);
  const RateSpec& spec() const { return spec_; }

 private:
  RateSpec spec_;
  std::vector<TokenBucket> table_;
  std::uint64_t mask_ = 0;
  std::array<std::uint64_t, 2> hash_key_{};
};

}  // namespace sb::util
