// signalbox join tokens: a JWT (RFC 7519) in JWS compact form, verified with a KeySet and checked against
// a TokenPolicy. docs/auth.md is the specification of the claims; every refusal has its own error code.
//
// A pure function of (token, keys, policy, now): no clock reads, no I/O, no logging. Messages never quote
// the token; at most its `kid`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/jws.hpp"
#include "signaling/admission.hpp"
#include "signaling/protocol.hpp"

namespace sb::auth {

struct TokenPolicy {
  std::int64_t leeway_s = 30;   // allowed clock difference for exp, nbf and iat
  std::string audience;         // "" = tokens must not carry `aud` (RFC 7519 §4.1.3); else `aud` must name it
  std::string issuer;           // "" = `iss` is not checked; else it must be equal
  std::size_t max_token_bytes = 4096;
  std::size_t max_identity_bytes = 128;  // `sub`
  std::size_t max_name_bytes = 64;       // `name`, as protocol Limits::max_name_bytes
  std::size_t max_meta_bytes = 1024;     // `meta`, serialized
  std::size_t max_room_bytes = 64;
};

// What a verified token grants.
struct Claims {
  std::string kid;
  std::string identity;      // `sub`
  std::string room;          // `room` without its trailing '*'
  bool room_prefix = false;  // `room` ended in '*': any room starting with `room` (all rooms for "*")
  std::int64_t expires = 0;  // `exp`, Unix seconds
  std::uint32_t max_peers = 0;       // `max_peers`; 0 = not narrowed by the token
  bool turn = false;                 // `turn`: TURN credentials are handed out
  std::optional<std::string> name;   // `name`: the display name peers see (overrides join's `name`)
  std::string meta;                  // `meta`, as compact JSON text; "" = none
  std::string payload;               // every claim, as verified (JSON text): passed to the auth webhook

  bool allows_room(std::string_view room_name) const;
  bool operator==(const Claims&) const = default;
};

// A refused token or join: its error code and a message for the client (signaling::Denial).
using Refusal = signaling::Denial;

using TokenResult = std::variant<Claims, Refusal>;

// Verifies the signature with the key `kid` names (its pinned algorithm), then the claims at `unix_now`.
TokenResult verify_token(std::string_view token, const KeySet& keys, const TokenPolicy& policy,
                         std::int64_t unix_now);

// The token's `kid` for a log line, read from its header without verifying anything: at most 64 characters
// of [A-Za-z0-9._-], "?" when there is none or it has others. Nothing else of a token is ever logged.
std::string kid_for_log(std::string_view token);

// The room check at join time: token_wrong_room when `claims` do not cover `room`.
std::optional<Refusal> check_room(const Claims& claims, std::string_view room);

}  // namespace sb::auth
