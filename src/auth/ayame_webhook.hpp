// The Ayame auth webhook's contract, as the Ayame server speaks it (its authn webhook), for Ayame clients on
// signalbox with `--auth webhook` (docs/compatibility.md, "Auth"): the JSON POSTed for a `register`, in
// Ayame's field names, and how the answer decides `accept` or `reject`. Pure functions; the HTTP client is
// net::WebhookClient.
#pragma once

#include <string>
#include <string_view>

#include "auth/webhook.hpp"
#include "signaling/admission.hpp"
#include "signaling/ayame/protocol.hpp"

namespace sb::auth {

// {"roomId":..,"clientId":..,"connectionId":..,"signalingKey"?:..,"authnMetadata"?:..,"ayameClient"?:..,
//  "libwebrtc"?:..,"environment"?:..}: optional members are left out when the register had none, as Ayame
// does. `client_id` is the register's, or the connection id when it gave none.
std::string ayame_authn_body(const signaling::ayame::msg::Register& r, std::string_view client_id,
                             std::string_view connection_id);

// The Ayame reason for a register the webhook could not decide (no answer, not HTTP 200, not
// {allowed: bool}, or `allowed: false` without a reason): Ayame's own.
inline constexpr std::string_view kAyameWebhookFailure = "InternalServerError";

// Reads the webhook's reply as Ayame does: HTTP 200 with {allowed: true, iceServers?, authzMetadata?} is a
// Grant (iceServers replace the server's own list in `accept`; authzMetadata, as JSON text in `meta`, is
// passed back in `accept`); {allowed: false, reason} is a Denial (auth-denied) whose message is the reason;
// anything else is a Denial whose message is kAyameWebhookFailure (auth-webhook-failed, -timeout or
// -invalid, for the log and the metrics).
signaling::AdmissionDecision read_ayame_authn_reply(const WebhookReply& reply, const WebhookLimits& limits);

}  // namespace sb::auth
