// Limits per source IP, for everything that one client can open cheaply (connections, allocations) and
// everything it can do often (joins per second). IPv6 sources count per /64: a subscriber usually gets a
// whole /64, so per-address limits would be free to dodge. Thread-safe (one mutex, touched when something
// is opened or closed, never per packet or message); memory is one entry per source that holds something.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "util/address.hpp"
#include "util/clock.hpp"
#include "util/token_bucket.hpp"

namespace sb::util {

// The key a source counts under: the IPv4 address, or the /64 of an IPv6 address.
IpAddress per_ip_key(const IpAddress& ip);

struct IpKeyHash {
  std::size_t operator()(const IpAddress& a) const noexcept;
};

// How many things each source holds, against a limit.
class PerIpCounter {
 public:
  explicit PerIpCounter(std::uint32_t limit) : limit_(limit) {}  // 0 = no limit
  // Counts one more for `ip`; false (and counted as refused) when it already holds `limit`.
  bool try_acquire(const IpAddress& ip);
  void release(const IpAddress& ip);
  std::uint32_t held(const IpAddress& ip) const;
  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  std::uint32_t limit() const { return limit_; }

 private:
  const std::uint32_t limit_;
  mutable std::mutex mu_;
  std::unordered_map<IpAddress, std::uint32_t, IpKeyHash> held_;  // guarded by mu_; no zero entries
  std::atomic<std::uint64_t> refused_{0};
};

// Events per second per source (a util::KeyedBuckets table, so memory is fixed whatever the number of
// sources), shared by threads.
class PerIpRate {
 public:
  explicit PerIpRate(RateSpec spec, std::uint32_t buckets = 4096) : buckets_(spec, buckets) {}
  // Takes a token for `ip` at `now`; false (and counted as refused) when it has none.
  bool allow(const IpAddress& ip, TimePoint now);
  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  std::mutex mu_;
  KeyedBuckets buckets_;  // guarded by mu_
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace sb::util
