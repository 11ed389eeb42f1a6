// The TURN core's metrics (signalbox_turn_*), in the one metrics::Registry. Each TurnCore (a shard, one per
// worker thread) builds its own Metrics and is the only writer of its counters: inc_single_writer() is a
// relaxed load+store (a plain mov on x86, no locked instruction per packet), each counter on its own cache
// line; the registry sums the shards when /metrics is rendered. A new counter is a member here and its
// registration in metrics.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "turn/types.hpp"
#include "util/metrics.hpp"

namespace sb::turn {

struct Metrics {
  explicit Metrics(metrics::Registry& r);

  metrics::Counter& allocations_created;
  metrics::Counter& allocations_deleted;  // Refresh lifetime 0, TCP close
  metrics::Counter& allocations_expired;
  metrics::Counter& permissions_created;  // new (not refreshed) permissions
  metrics::Counter& permissions_expired;
  metrics::Counter& channels_bound;       // new bindings
  metrics::Counter& channels_expired;

  metrics::Counter& requests;             // STUN requests received (all methods)
  metrics::Counter& error_responses;      // error responses sent
  metrics::Counter& denied_peers;         // 403s and dropped Send indications caused by PeerPolicy

  metrics::Counter& packets_client_to_peer;  // ChannelData + Send indications relayed
  metrics::Counter& packets_peer_to_client;
  metrics::Counter& bytes_client_to_peer;    // payload bytes
  metrics::Counter& bytes_peer_to_client;
  metrics::Counter& channel_data_to_peer;    // of packets_client_to_peer, those that came as ChannelData
  metrics::Counter& channel_data_to_client;  // of packets_peer_to_client, those sent as ChannelData
  metrics::Counter& packets_to_local_relay;  // of packets_client_to_peer, those to another allocation here

  // By reason; index 0 (kNone, kOk) has no counter.
  std::array<metrics::Counter*, static_cast<std::size_t>(AuthFailure::kCount)> auth_failures{};
  std::array<metrics::Counter*, static_cast<std::size_t>(DropReason::kCount)> drops{};
  std::array<metrics::Counter*, static_cast<std::size_t>(Quota::kCount)> quota_refusals{};  // 486s

  void drop(DropReason r) { count(drops[static_cast<std::size_t>(r)]); }
  void auth_failure(AuthFailure r) { count(auth_failures[static_cast<std::size_t>(r)]); }
  void quota_refused(Quota q) { count(quota_refusals[static_cast<std::size_t>(q)]); }
  // For tests and the admin side: a reason's count so far (0 for the uncounted index 0).
  std::uint64_t dropped(DropReason r) const { return value(drops[static_cast<std::size_t>(r)]); }
  std::uint64_t auth_failed(AuthFailure r) const { return value(auth_failures[static_cast<std::size_t>(r)]); }
  std::uint64_t quota_refusals_of(Quota q) const { return value(quota_refusals[static_cast<std::size_t>(q)]); }

 private:
  static void count(metrics::Counter* c) {
    if (c) c->inc_single_writer();
  }
  static std::uint64_t value(const metrics::Counter* c) { return c ? c->value() : 0; }
};

const char* to_string(DropReason r);
const char* to_string(AuthFailure r);
const char* to_string(Quota q);

}  // namespace sb::turn
