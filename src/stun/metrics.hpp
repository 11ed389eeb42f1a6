// The STUN Binding service's metrics (signalbox_stun_*), registered in the one metrics::Registry. Each
// worker thread that answers Binding builds one Metrics (its shard; the registry sums the shards at render)
// and hands it to its BindingService; the front end counts what it drops itself with drop().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "util/metrics.hpp"

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

struct Metrics {
  explicit Metrics(metrics::Registry& r);

  metrics::Counter& requests;     // Binding requests accepted for processing
  metrics::Counter& responses;    // success responses sent
  metrics::Counter& errors;       // error responses sent (400, 420)
  metrics::Counter& indications;  // Binding indications (keep-alives, no answer)
  std::array<metrics::Counter*, static_cast<std::size_t>(DropReason::kCount)> drops{};

  void drop(DropReason r) { drops[static_cast<std::size_t>(r)]->inc(); }
  std::uint64_t dropped(DropReason r) const { return drops[static_cast<std::size_t>(r)]->value(); }
};

}  // namespace sb::stun
