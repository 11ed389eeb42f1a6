// The native doctor's media test through the relay (see doctor_media.cpp).
#pragma once

#include "client/doctor_checks.hpp"

namespace sb::client::doctor {

// Relay to relay over the first TURN transport that passed (UDP, then TCP, then TLS): loss, throughput,
// round trip; 403 when the relay's peer policy refuses its own relayed addresses. `unknown` without a relay.
sb::doctor::MediaCheck check_media(Env& env, const Offer& offer, const sb::doctor::Facts& facts);

}  // namespace sb::client::doctor
