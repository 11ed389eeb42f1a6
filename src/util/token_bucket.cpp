#include "util/token_bucket.hpp"

#include "util/random.hpp"

namespace sb::util {

KeyedBuckets::KeyedBuckets(RateSpec spec, std::uint32_t buckets) : spec_(spec) {
  std::uint64_t n = 1;
  while (n < std::max<std::uint32_t>(buckets, 1)) n <<= 1;
  table_.resize(n);
  mask_ = n - 1;
  random_bytes(std::span(reinterpret_cast<std::uint8_t*>(hash_key_.data()), sizeof hash_key_));
}

bool KeyedBuckets::take(std::span<const std::uint8_t> key, TimePoint now, double n) {
  if (spec_.unlimited()) return true;
  std::uint64_t h = hash_key_[0];
  for (auto b : key) h = splitmix64(h ^ b);
  h = splitmix64(h ^ hash_key_[1]);
  return table_[h & mask_].take(n, now, spec_);
}

}  // namespace sb::util
