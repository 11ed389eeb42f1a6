// Signaling counters, updated lock-free from every session and rendered by the server's /metrics.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "signaling/protocol.hpp"

namespace sb::signaling {

// `other`: a relay of another protocol's kind (PeerJS LEAVE and EXPIRE).
enum class RelayedType : std::uint8_t { offer, answer, candidate, other };
inline constexpr std::size_t kRelayedTypeCount = 4;
const char* to_string(RelayedType t);

struct Counters {
  std::atomic<std::int64_t> connections{0};             // open WebSocket sessions (gauge)
  std::atomic<std::uint64_t> connections_total{0};      // accepted since start
  std::atomic<std::uint64_t> connections_moved_total{0};  // moved to their room's I/O thread (`/ws?room=`)
  // Every frame a client sent, the rate-limited ones too; those (refused, dropped, or the one that closed the
  // connection) are also counted apart, and are neither read nor counted in a resumed session's `received`.
  std::atomic<std::uint64_t> messages_received_total{0};
  std::atomic<std::uint64_t> messages_rate_limited_total{0};
  std::array<std::atomic<std::uint64_t>, kRelayedTypeCount> relayed_total{};  // by RelayedType
  std::array<std::atomic<std::uint64_t>, kErrorCodeCount> errors_total{};     // by ErrorCode
  std::atomic<std::uint64_t> closed_rate_limit_total{0};   // 1008
  std::atomic<std::uint64_t> closed_too_big_total{0};      // 1009
  std::atomic<std::uint64_t> closed_overflow_total{0};     // 4000
  std::atomic<std::uint64_t> closed_timeout_total{0};      // idle timeout

  void count_error(ErrorCode c) { errors_total[static_cast<std::size_t>(c)].fetch_add(1, std::memory_order_relaxed); }
  void count_rate_limited() { messages_rate_limited_total.fetch_add(1, std::memory_order_relaxed); }
  void count_relayed(RelayedType t) {
    relayed_total[static_cast<std::size_t>(t)].fetch_add(1, std::memory_order_relaxed);
  }
};

}  // namespace sb::signaling
