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
  return static_cast<std::size_t>(splitmix64(hi ^ splitmix64(lo)));
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

bool PerIpRate::allow(const IpAddress& ip, TimePoint now) {
  const IpAddress key = per_ip_key(ip);
  bool ok = false;
  {
    std::lock_guard lock(mu_);
    ok = buckets_.take(key.bytes, now);
  }
  if (!ok) refused_.fetch_add(1, std::memory_order_relaxed);
  return ok;
}

}  // namespace sb::util
