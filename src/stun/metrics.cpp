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

Metrics::Metrics(metrics::Registry& r)
    : requests(r.counter("signalbox_stun_requests_total", "STUN Binding requests processed.")),
      responses(r.counter("signalbox_stun_responses_total", "STUN Binding success responses sent.")),
      errors(r.counter("signalbox_stun_errors_total", "STUN Binding error responses sent (400, 420).")),
      indications(r.counter("signalbox_stun_indications_total", "STUN Binding indications received (no answer).")),
      drops(r.counter_family<DropReason, static_cast<std::size_t>(DropReason::kCount)>(
          "signalbox_stun_dropped_total", "STUN packets dropped without an answer, by reason.", "reason",
          [](DropReason d) { return to_string(d); })) {}

}  // namespace sb::stun
