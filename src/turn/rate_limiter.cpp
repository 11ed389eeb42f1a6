#include "turn/rate_limiter.hpp"

#include <algorithm>

#include "util/random.hpp"

namespace sb::turn {
namespace {

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

UnauthorizedLimiter::UnauthorizedLimiter(double rate_per_s, std::uint32_t burst, std::uint32_t buckets)
    : rate_(rate_per_s), burst_(std::max<double>(1, burst)) {
  std::uint64_t n = 1;
  while (n < std::max<std::uint32_t>(buckets, 1)) n <<= 1;
  table_.resize(n);
  mask_ = n - 1;
  util::random_bytes(std::span(reinterpret_cast<std::uint8_t*>(key_.data()), sizeof key_));
}

bool UnauthorizedLimiter::allow(const TransportAddress& source, util::TimePoint now) {
  if (rate_ <= 0) return true;
  if (!epoch_set_) {
    epoch_ = now;
    epoch_set_ = true;
  }
  // Key on the IP only: a client cycling its source port must not get a fresh bucket.
  std::uint64_t h = key_[0];
  for (std::size_t i = 0; i < source.ip_size(); ++i) h = splitmix(h ^ source.ip[i]);
  h = splitmix(h ^ key_[1]);
  Bucket& b = table_[h & mask_];
  const auto ms = static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now - epoch_).count());
  if (!b.used) {
    b = Bucket{static_cast<float>(burst_), ms, true};
  } else {
    const std::uint32_t elapsed = ms - b.last_ms;  // unsigned arithmetic handles the wrap
    b.tokens = static_cast<float>(std::min(burst_, b.tokens + rate_ * elapsed / 1000.0));
    b.last_ms = ms;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace sb::turn
