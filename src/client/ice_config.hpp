// Translating between the signaling protocol's ICE vocabulary (RTCIceServer, RTCIceCandidateInit) and
// webrtcbin's (stun://, turn:// URIs; candidate attribute strings). Pure functions, unit tested.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/protocol.hpp"

namespace sb::client {

struct GstIceServers {
  std::vector<std::string> stun;  // stun://host:port  (webrtcbin holds one: the first is used)
  std::vector<std::string> turn;  // turn(s)://user:pass@host:port?transport=udp|tcp
  std::vector<std::string> skipped;  // URLs that could not be used, with the reason
};

// RFC 7064 / RFC 7065 URIs ("stun:host:port", "turn:host:port?transport=udp") → webrtcbin's forms.
// TURN credentials are percent-escaped: ephemeral usernames ("expiry:user") contain ':'.
GstIceServers to_gst_ice_servers(const std::vector<signaling::IceServer>& servers);

// The candidate type ("host", "srflx", "prflx", "relay") of an ICE candidate attribute (RFC 8839
// section 5.1, "typ" token), or nullopt when there is none.
std::optional<std::string> candidate_type(std::string_view candidate);

// Candidate types gathered locally and received from the peer, for the "ICE failed" diagnostic.
struct CandidateTypesSeen {
  std::set<std::string> local;
  std::set<std::string> remote;
  std::string describe() const;  // "local host,srflx; remote host"
};

}  // namespace sb::client
