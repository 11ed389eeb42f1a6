#include "util/per_ip.hpp"

#include <algorithm>
#include <cstring>

namespace sb::util {

IpAddress per_ip_key(const IpAddress& ip) {
  if (ip.is_v4()) return ip;
  IpAddress k = ip;
  std::fill(k.bytes.begin() + 8, k.bytes.end(), std::uint8_t{0});  // the /64
  return k;
}

std::size_t IpKeyHash::operator()(const IpAddress& a) const noexcept {
  std::uint64_t hi = 0, lo = 0;
  std::memcpy(&hi, a.bytes.data(), 8);
  std::memcpy(&lo, a.bytes.data() + 8, 8);
  std::uint64_t h = hi * 0x9E3779B97F4A7C15ULL ^ lo;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  return static_cast<std::size_t>(h ^ (h >> 32));
}

bool PerIpCounter::try_acquire(const IpAddress& ip) {
  const IpAddress key = per_ip_key(ip);
  std::lock_guard lock(mu_);
  auto& n = held_[key];
  if (limit_ != 0 && n >= limit_) {
    if (n == 0) held_.erase(key);
    refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  ++n;
  return true;
}

void PerIpCounter::release(const IpAddress& ip) {
  const IpAddress key = per_ip_key(ip);
  std::lock_guard lock(mu_);
  const auto it = held_.find(key);
  if (it == held_.end()) return;
  if (--it->second == 0) held_.erase(it);
}

std::uint32_t PerIpCounter::held(const IpAddress& ip) const {
  std::lock_guard lock(mu_);
  const auto it = held_.find(per_ip_key(ip));
  return it == held_.end() ? 0 : it->second;
}

PerIpRate::PerIpRate(double per_second, double burst) : rate_(per_second), burst_(std::max(1.0, burst)) {}

bool PerIpRate::allow(const IpAddress& ip, TimePoint now) {
  if (rate_ <= 0) return true;
  const IpAddress key = per_ip_key(ip);
  std::lock_guard lock(mu_);
  sweep(now);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    if (elapsed > 0) b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.last = now;
  }
  if (b.tokens < 1) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  b.tokens -= 1;
  return true;
}

// A bucket untouched for burst/rate seconds is full again: the same as no bucket.
void PerIpRate::sweep(TimePoint now) {
  const auto full_after = std::chrono::duration<double>(burst_ / rate_);
  if (now - last_sweep_ < full_after) return;
  last_sweep_ = now;
  std::erase_if(buckets_, [&](const auto& kv) { return now - kv.second.last >= full_after; });
}

}  // namespace sb::util
