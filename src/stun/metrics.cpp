#include "stun/metrics.hpp"

namespace sb::stun {

std::string_view to_string(DropReason r) {
  switch (r) {
    case DropReason::kMalformed: return "malformed";
    case DropReason::kBadFingerprint: return "bad_fingerprint";
    case DropReason::kUnexpectedClass: return "unexpected_class";
    case DropReason::kUnhandled: return "unhandled";
    case DropReason::kTooLarge: return "too_large";
    case DropReason::kSendFailed: return "send_failed";
    case DropReason::kCount: break;
  }
  return "unknown";
}

void StunMetricsSnapshot::add(const StunMetrics& m) {
  requests += m.requests.load(std::memory_order_relaxed);
  indications += m.indications.load(std::memory_order_relaxed);
  responses += m.responses.load(std::memory_order_relaxed);
  errors += m.errors.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < drops.size(); ++i) drops[i] += m.drops[i].load(std::memory_order_relaxed);
}

std::uint64_t StunMetricsSnapshot::total_drops() const {
  std::uint64_t t = 0;
  for (const auto d : drops) t += d;
  return t;
}

}  // namespace sb::stun
