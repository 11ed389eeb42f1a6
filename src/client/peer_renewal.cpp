#include "client/peer_renewal.hpp"

#include <gst/sdp/sdp.h>

#include <algorithm>
#include <string>

namespace sb::client {

std::optional<std::string> sdp_session_id(const GstSDPMessage* sdp) {
  const GstSDPOrigin* origin = sdp ? gst_sdp_message_get_origin(sdp) : nullptr;
  const std::string_view id = origin && origin->sess_id ? origin->sess_id : "";
  // RFC 8866: sess-id = 1*DIGIT.
  if (id.empty() || !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::string(id);
}

std::optional<std::string> sdp_session_id(std::string_view sdp) {
  GstSDPMessage* msg = nullptr;
  if (gst_sdp_message_new(&msg) != GST_SDP_OK) return std::nullopt;
  std::optional<std::string> out;
  if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(sdp.data()), static_cast<guint>(sdp.size()), msg) ==
      GST_SDP_OK)
    out = sdp_session_id(msg);
  gst_sdp_message_free(msg);
  return out;
}

bool starts_new_session(const std::optional<std::string>& previous, const std::optional<std::string>& offered) {
  return previous && offered && *previous != *offered;
}

std::string_view to_string(RecoveryStep s) {
  switch (s) {
    case RecoveryStep::renew: return "renew";
    case RecoveryStep::not_ours: return "not-ours";
    case RecoveryStep::wait: return "wait";
    case RecoveryStep::exhausted: return "exhausted";
  }
  return "unknown";
}

RecoveryStep next_recovery_step(const RecoveryInput& in, const RecoveryLimits& limits) {
  if (!in.offerer) return RecoveryStep::not_ours;
  if (in.renewals_in_a_row >= limits.max_in_a_row) return RecoveryStep::exhausted;
  if (!in.signaling_up || in.since_last_renewal < limits.spacing) return RecoveryStep::wait;
  return RecoveryStep::renew;
}

}  // namespace sb::client
