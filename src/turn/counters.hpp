// Per-shard TURN counters. Each TurnCore owns one TurnCounters and is its only writer (its worker
// thread); the metrics endpoint reads every shard's counters from another thread and sums them, so each
// value is an atomic written with relaxed load+store (a plain mov on x86, no locked instruction per
// packet) and read with a relaxed load.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "turn/types.hpp"

namespace sb::turn {

class Counter {
 public:
  // Single writer only (the owning shard).
  void add(std::uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

struct TurnCounters {
  Counter allocations_created;
  Counter allocations_deleted;  // Refresh lifetime 0, TCP close
  Counter allocations_expired;
  Counter permissions_created;  // new (not refreshed) permissions
  Counter permissions_expired;
  Counter channels_bound;       // new bindings
  Counter channels_expired;

  Counter requests;             // STUN requests received (all methods)
  Counter error_responses;      // error responses sent
  std::array<Counter, 8> errors_by_class{};  // index: code/100 (4 = 4xx, 5 = 5xx)

  Counter packets_client_to_peer;  // ChannelData + Send indications relayed
  Counter bytes_client_to_peer;    // payload bytes
  Counter packets_peer_to_client;
  Counter bytes_peer_to_client;
  Counter channel_data_to_peer;    // of packets_client_to_peer, those that came as ChannelData
  Counter channel_data_to_client;  // of packets_peer_to_client, those sent as ChannelData
  Counter packets_to_local_relay;  // of packets_client_to_peer, those to another allocation of this server

  Counter denied_peers;            // 403s and dropped Send indications caused by PeerPolicy
  std::array<Counter, static_cast<std::size_t>(AuthFailure::kCount)> auth_failures{};
  std::array<Counter, static_cast<std::size_t>(DropReason::kCount)> drops{};
  std::array<Counter, static_cast<std::size_t>(Quota::kCount)> quota_refusals{};  // 486s, by quota

  void drop(DropReason r) { drops[static_cast<std::size_t>(r)].add(); }
  void auth_failure(AuthFailure r) { auth_failures[static_cast<std::size_t>(r)].add(); }
  void quota_refused(Quota q) { quota_refusals[static_cast<std::size_t>(q)].add(); }
};

const char* to_string(DropReason r);
const char* to_string(AuthFailure r);
const char* to_string(Quota q);

}  // namespace sb::turn
