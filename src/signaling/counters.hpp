// The signaling service's metrics (signalbox_connections, _messages_*, _errors_total, _closed_total, ...),
// registered in the one metrics::Registry. One Counters per server, updated lock-free (relaxed atomics)
// from every session and connection on any I/O thread. A new signaling metric is a member here and its
// registration in counters.cpp; /metrics renders it with no other edit.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "signaling/protocol.hpp"
#include "util/metrics.hpp"

namespace sb::signaling {

class Router;

// `other`: a relay of another protocol's kind (PeerJS LEAVE and EXPIRE).
enum class RelayedType : std::uint8_t { offer, answer, candidate, other };
inline constexpr std::size_t kRelayedTypeCount = 4;
const char* to_string(RelayedType t);

struct Counters {
  explicit Counters(metrics::Registry& r);

  metrics::Gauge& connections;                 // open WebSocket sessions
  metrics::Counter& connections_total;         // accepted since start
  metrics::Counter& connections_moved_total;   // moved to their room's I/O thread (`/ws?room=`)
  // Every frame a client sent, the rate-limited ones too; those (refused, dropped, or the one that closed the
  // connection) are also counted apart, and are neither read nor counted in a resumed session's `received`.
  metrics::Counter& messages_received_total;
  metrics::Counter& messages_rate_limited_total;
  std::array<metrics::Counter*, kRelayedTypeCount> relayed_total{};  // by RelayedType
  std::array<metrics::Counter*, kErrorCodeCount> errors_total{};     // by ErrorCode
  metrics::Counter& closed_rate_limit_total;   // 1008
  metrics::Counter& closed_too_big_total;      // 1009
  metrics::Counter& closed_overflow_total;     // 4000
  metrics::Counter& closed_timeout_total;      // idle timeout

  void count_error(ErrorCode c) { errors_total[static_cast<std::size_t>(c)]->inc(); }
  void count_rate_limited() { messages_rate_limited_total.inc(); }
  void count_relayed(RelayedType t) { relayed_total[static_cast<std::size_t>(t)]->inc(); }
};

// signalbox_rooms and signalbox_peers, read from `router` (which the registry keeps alive) at render.
void register_router_gauges(metrics::Registry& r, std::shared_ptr<const Router> router);

}  // namespace sb::signaling
