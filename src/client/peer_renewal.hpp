// A new peer connection when the media path of a call broke (issue 14), and how the answering side recognises it.
//
// Why a new peer connection rather than an ICE restart on the old one: libnice 0.1.21 (under webrtcbin 1.22)
// gathers once per stream. nice_agent_restart() keeps the local candidates, so after a network change an ICE
// restart signals the old server-reflexive address, and webrtcbin has no option to gather again. Neither side can
// tell whose address changed (a NAT's new public address is invisible from behind it), and a native client on
// either side may have moved; a new webrtcbin is a new libnice stream, which gathers afresh. So the side that
// offered builds a new peer connection whenever it would have restarted ICE, and sends its offer through the
// (resumed) signaling session. The offer carries a new `o=` session id: RFC 3264 section 8 and JSEP (RFC 8829
// section 5.2.2) keep the session id for every later offer of a session, so a different one is a new session,
// and the answering side answers it with a new peer connection of its own (and so gathers afresh as well).
#pragma once

#include <gst/sdp/sdp.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sb::client {

// The <sess-id> of a description's origin line (RFC 8866 section 5.2: o=<username> <sess-id> <sess-version> ...);
// nullopt when the description does not parse or has no usable origin.
std::optional<std::string> sdp_session_id(std::string_view sdp);
std::optional<std::string> sdp_session_id(const GstSDPMessage* sdp);

// True when an offer with session id `offered` starts a new session after a remote offer with `previous`: both
// known and different. An unknown id on either side is no proof of a new session.
bool starts_new_session(const std::optional<std::string>& previous, const std::optional<std::string>& offered);

// What the side whose media stopped does about it now.
enum class RecoveryStep {
  renew,      // build a new peer connection and offer it
  not_ours,   // the answering side waits for the offerer's new session
  wait,       // signaling is down (the offer could not go out), or the last renewal was too recent
  exhausted,  // max_in_a_row renewals without media coming back: leave it to --ice-timeout / the user
};
std::string_view to_string(RecoveryStep s);

struct RecoveryInput {
  bool offerer = false;
  bool signaling_up = false;
  unsigned renewals_in_a_row = 0;              // reset whenever media is decoded again
  std::chrono::milliseconds since_last_renewal{};  // since the previous renewal (large when there was none)
};
struct RecoveryLimits {
  unsigned max_in_a_row = 5;
  std::chrono::milliseconds spacing{5000};
};
RecoveryStep next_recovery_step(const RecoveryInput& in, const RecoveryLimits& limits);

}  // namespace sb::client
