// Per-source-IP accounting for access control: connections still waiting to be admitted, and failed joins in
// a time window. Thread-safe (one mutex each; touched once per connection or join, never per message).
// Memory is bounded: at most `max_tracked` addresses each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "util/address.hpp"
#include "util/clock.hpp"

namespace sb::auth {

struct IpHash {
  std::size_t operator()(const util::IpAddress& ip) const;
};

// How many connections each address holds that have not been admitted yet.
class PendingPerIp {
 public:
  PendingPerIp(std::uint32_t limit, std::size_t max_tracked) : limit_(limit), max_tracked_(max_tracked) {}
  // False when `ip` already holds `limit` pending connections (or too many addresses are tracked).
  bool try_add(const util::IpAddress& ip);
  void remove(const util::IpAddress& ip);
  std::uint32_t count(const util::IpAddress& ip) const;

 private:
  const std::uint32_t limit_;
  const std::size_t max_tracked_;
  mutable std::mutex mu_;
  std::unordered_map<util::IpAddress, std::uint32_t, IpHash> counts_;  // guarded by mu_; no zero entries
};

// Failed joins per address in fixed windows: once `limit` failures fall in one window, the address is
// blocked until that window ends.
class FailuresPerIp {
 public:
  FailuresPerIp(std::uint32_t limit, util::Duration window, std::size_t max_tracked)
      : limit_(limit), window_(window), max_tracked_(max_tracked) {}
  void record(const util::IpAddress& ip, util::TimePoint now);
  bool blocked(const util::IpAddress& ip, util::TimePoint now) const;

 private:
  struct Entry {
    util::TimePoint window_start;
    std::uint32_t failures = 0;
  };
  void sweep_locked(util::TimePoint now);
  const std::uint32_t limit_;
  const util::Duration window_;
  const std::size_t max_tracked_;
  mutable std::mutex mu_;
  std::unordered_map<util::IpAddress, Entry, IpHash> entries_;  // guarded by mu_
};

}  // namespace sb::auth
