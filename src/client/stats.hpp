// One reading of webrtcbin's get-stats (W3C webrtc-stats names), reduced to what --stats prints.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <optional>
#include <string>

namespace sb::client {

struct StatsSample {
  std::uint64_t bytes_received = 0;  // sum over inbound-rtp
  std::uint64_t bytes_sent = 0;      // sum over outbound-rtp
  std::optional<double> rtt_seconds;  // remote-inbound-rtp round-trip-time (from RTCP receiver reports)
  std::string local_candidate_type;   // of the nominated / selected pair; empty when unknown
  std::string remote_candidate_type;
  std::string relay_protocol;  // udp/tcp/tls to the TURN server, when the local candidate is relay
};

// Reads the structure a get-stats promise replies with. Unknown or missing fields are skipped.
StatsSample parse_webrtc_stats(const GstStructure* stats);

}  // namespace sb::client
