// Who may join, as configured by --auth (docs/auth.md): the decision for one join, in up to two steps. The
// token step is synchronous and cheap; the webhook step, in the webhook modes, applies the answer of an HTTP
// call the net layer makes in between. Pure functions of their inputs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/token.hpp"
#include "auth/webhook.hpp"

namespace sb::auth {

enum class Mode : std::uint8_t { none, jwt, webhook, jwt_webhook };
std::optional<Mode> parse_mode(std::string_view text);  // none | jwt | webhook | jwt+webhook
std::string_view to_string(Mode mode);
inline bool uses_jwt(Mode m) { return m == Mode::jwt || m == Mode::jwt_webhook; }
inline bool uses_webhook(Mode m) { return m == Mode::webhook || m == Mode::jwt_webhook; }

struct AuthSettings {
  Mode mode = Mode::none;
  KeySet keys;
  TokenPolicy token;
  WebhookLimits webhook;
};

using Grant = signaling::Grant;
using Decision = signaling::AdmissionDecision;  // Grant or Refusal

// The token step. In `none` mode everyone is granted (TURN included, as before access control existed); in
// the jwt modes the token (the join's, else the one of the WebSocket upgrade) must verify and cover `room`,
// and `turn` follows its claim. In `webhook` mode no token is needed, and one that is given is not read.
// `claims_json`, when given, receives the verified token's claims (for the webhook).
Decision check_join(const AuthSettings& settings, std::string_view room, std::string_view name,
                    std::string_view token, std::int64_t unix_now, std::string* claims_json = nullptr);

// The webhook step: a refusal from the webhook refuses; an allowing answer narrows or replaces what the
// token step granted.
Decision apply_webhook(Grant grant, WebhookOutcome outcome);

}  // namespace sb::auth
