// ICE restarts (RFC 8445 section 9) for webrtcbin. GStreamer 1.22's webrtcbin has no `ice-restart` offer
// option: it reuses the ICE credentials of its last description. The restart is therefore done one level
// down, on the libnice agent under webrtcbin (its `ice-agent`'s `agent`): nice_agent_restart() forgets the
// remote candidates and the checks, and the description gets fresh credentials (RFC 8839 section 4.4.1.1),
// which webrtcbin then hands to the agent when the description is set. libnice keeps its local candidates
// across a restart (it does not gather again), so they are signalled again by the caller.
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sb::client {

struct IceCredentials {
  std::string ufrag;
  std::string pwd;
};
// Random credentials from the CSPRNG: a 16-character ufrag and a 32-character password of ice-chars.
IceCredentials fresh_ice_credentials();

// The first a=ice-ufrag of a description (media level, or session level); nullopt when there is none.
std::optional<std::string> ice_ufrag(const GstSDPMessage* sdp);
// Replaces every a=ice-ufrag / a=ice-pwd of the description (session and media level) with `creds`.
void set_ice_credentials(GstSDPMessage* sdp, const IceCredentials& creds);

// Restarts the libnice agent under `webrtc`; false when there is none to restart.
bool restart_ice_agent(GstElement* webrtc);
// The agent's local candidates for the first transceiver's transport (the bundle), as (m-line, `candidate:`
// attribute value) pairs, ready to be signalled.
std::vector<std::pair<unsigned, std::string>> local_ice_candidates(GstElement* webrtc);

}  // namespace sb::client
