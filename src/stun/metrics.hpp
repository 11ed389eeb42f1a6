// Counters of the STUN Binding service. One StunMetrics per worker thread (written by that thread only,
// relaxed atomics so the metrics endpoint can read them concurrently); the registry sums workers.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sb::stun {

// Why a packet got no answer. Every dropped packet is counted under exactly one reason.
enum class DropReason : std::uint8_t {
  kMalformed,        // not a well-formed STUN message (header, length, attributes): RFC 8489 §6.3
  kBadFingerprint,   // FINGERPRINT present but wrong (RFC 8489 §7.3)
  kUnexpectedClass,  // a success/error response sent to the server
  kUnhandled,        // a valid STUN method or ChannelData nobody here handles (TURN off)
  kTooLarge,         // datagram larger than the receive buffer
  kSendFailed,       // the kernel refused the response
  kCount
};
std::string_view to_string(DropReason r);

struct alignas(64) StunMetrics {
  std::atomic<std::uint64_t> requests{0};     // Binding requests accepted for processing
  std::atomic<std::uint64_t> indications{0};  // Binding indications (keep-alives, no answer)
  std::atomic<std::uint64_t> responses{0};    // success responses sent
  std::atomic<std::uint64_t> errors{0};       // error responses sent (400, 420)
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(DropReason::kCount)> drops{};

  void drop(DropReason r) { drops[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed); }
  static void inc(std::atomic<std::uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }
};

// A plain copy of the counters, summed over workers.
struct StunMetricsSnapshot {
  std::uint64_t requests = 0;
  std::uint64_t indications = 0;
  std::uint64_t responses = 0;
  std::uint64_t errors = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::kCount)> drops{};

  void add(const StunMetrics& m);
  std::uint64_t drop(DropReason r) const { return drops[static_cast<std::size_t>(r)]; }
  std::uint64_t total_drops() const;
};

}  // namespace sb::stun
