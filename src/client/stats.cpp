#include "client/stats.hpp"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <map>

namespace sb::client {
namespace {

struct Collected {
  StatsSample sample;
  std::map<std::string, std::string> candidate_types;  // candidate stats id → candidate-type
  std::map<std::string, std::string> relay_protocols;  // candidate stats id → relay-protocol
  std::string selected_local, selected_remote;          // candidate ids of the chosen pair
};

std::string string_field(const GstStructure* s, const char* name) {
  const gchar* v = gst_structure_get_string(s, name);
  return v ? v : "";
}

std::uint64_t u64_field(const GstStructure* s, const char* name) {
  guint64 v = 0;
  return gst_structure_get_uint64(s, name, &v) ? v : 0;
}

void collect_one(const GstStructure* s, Collected& c) {
  GstWebRTCStatsType type{};
  if (!gst_structure_get(s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr)) return;
  switch (type) {
    case GST_WEBRTC_STATS_INBOUND_RTP: c.sample.bytes_received += u64_field(s, "bytes-received"); break;
    case GST_WEBRTC_STATS_OUTBOUND_RTP: c.sample.bytes_sent += u64_field(s, "bytes-sent"); break;
    case GST_WEBRTC_STATS_REMOTE_INBOUND_RTP: {
      double rtt = 0;
      if (gst_structure_get_double(s, "round-trip-time", &rtt) && rtt > 0) {
        if (!c.sample.rtt_seconds || rtt > *c.sample.rtt_seconds) c.sample.rtt_seconds = rtt;
      }
      break;
    }
    case GST_WEBRTC_STATS_LOCAL_CANDIDATE:
    case GST_WEBRTC_STATS_REMOTE_CANDIDATE:
      c.candidate_types[string_field(s, "id")] = string_field(s, "candidate-type");
      c.relay_protocols[string_field(s, "id")] = string_field(s, "relay-protocol");
      break;
    case GST_WEBRTC_STATS_CANDIDATE_PAIR:
      // webrtcbin 1.22 reports only the selected pair of each transport.
      c.selected_local = string_field(s, "local-candidate-id");
      c.selected_remote = string_field(s, "remote-candidate-id");
      break;
    default: break;
  }
}

gboolean visit(GQuark, const GValue* value, gpointer user_data) {
  if (GST_VALUE_HOLDS_STRUCTURE(value)) collect_one(gst_value_get_structure(value), *static_cast<Collected*>(user_data));
  return TRUE;
}

}  // namespace

StatsSample parse_webrtc_stats(const GstStructure* stats) {
  Collected c;
  gst_structure_foreach(stats, &visit, &c);
  if (auto it = c.candidate_types.find(c.selected_local); it != c.candidate_types.end())
    c.sample.local_candidate_type = it->second;
  if (auto it = c.relay_protocols.find(c.selected_local); it != c.relay_protocols.end())
    c.sample.relay_protocol = it->second;
  if (auto it = c.candidate_types.find(c.selected_remote); it != c.candidate_types.end())
    c.sample.remote_candidate_type = it->second;
  return c.sample;
}

}  // namespace sb::client
