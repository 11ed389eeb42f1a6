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

// What admission grants a peer: what it shows to the others, how large its room may be, and which ICE
// servers it receives.
struct Grant {
  std::string identity;         // the token's `sub`; "" without a token
  std::string name;             // the display name peers see: the token's `name`, else the join's
  std::string meta;             // JSON text passed to peers; "" = none
  std::uint32_t max_peers = 0;  // the room size asked for by the token or webhook; 0 = the server's limit
  bool turn = true;             // TURN credentials are handed out
  std::optional<std::vector<signaling::IceServer>> ice_servers;  // the webhook's list, replacing the server's
  std::optional<Claims> claims;  // the verified token; kept for as long as the peer is admitted
};

using Decision = std::variant<Grant, Refusal>;

// The token step. In `none` mode everyone is granted (TURN included, as before access control existed); in
// the jwt modes the token (the join's, else the one of the WebSocket upgrade) must verify and cover `room`,
// and `turn` follows its claim. In `webhook` mode no token is needed, and one that is given is not read.
Decision check_join(const AuthSettings& settings, std::string_view room, std::string_view name,
                    std::string_view token, std::int64_t unix_now);

// The webhook step: a refusal from the webhook refuses; an allowing answer narrows or replaces what the
// token step granted.
Decision apply_webhook(Grant grant, WebhookOutcome outcome);

}  // namespace sb::auth
