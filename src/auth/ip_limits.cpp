#include "auth/ip_limits.hpp"

#include <string_view>

namespace sb::auth {

std::size_t IpHash::operator()(const util::IpAddress& ip) const {
  return std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(ip.bytes.data()), ip.bytes.size()));
}

bool PendingPerIp::try_add(const util::IpAddress& ip) {
  std::lock_guard lock(mu_);
  auto it = counts_.find(ip);
  if (it == counts_.end()) {
    if (limit_ == 0 || counts_.size() >= max_tracked_) return false;
    counts_.emplace(ip, 1);
    return true;
  }
  if (it->second >= limit_) return false;
  ++it->second;
  return true;
}

void PendingPerIp::remove(const util::IpAddress& ip) {
  std::lock_guard lock(mu_);
  auto it = counts_.find(ip);
  if (it == counts_.end()) return;
  if (--it->second == 0) counts_.erase(it);
}

std::uint32_t PendingPerIp::count(const util::IpAddress& ip) const {
  std::lock_guard lock(mu_);
  auto it = counts_.find(ip);
  return it == counts_.end() ? 0 : it->second;
}

void FailuresPerIp::sweep_locked(util::TimePoint now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now >= it->second.window_start + window_ ? entries_.erase(it) : std::next(it);
  }
}

void FailuresPerIp::record(const util::IpAddress& ip, util::TimePoint now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(ip);
  if (it == entries_.end()) {
    if (entries_.size() >= max_tracked_) sweep_locked(now);
    // Still full: this address goes uncounted rather than evicting one that is being counted.
    if (entries_.size() >= max_tracked_) return;
    it = entries_.emplace(ip, Entry{now, 0}).first;
  } else if (now >= it->second.window_start + window_) {
    it->second = Entry{now, 0};
  }
  ++it->second.failures;
}

bool FailuresPerIp::blocked(const util::IpAddress& ip, util::TimePoint now) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(ip);
  return it != entries_.end() && now < it->second.window_start + window_ && it->second.failures >= limit_;
}

}  // namespace sb::auth
