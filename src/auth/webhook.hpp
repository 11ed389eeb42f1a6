// The auth webhook's contract (docs/auth.md): the JSON signalbox POSTs before admitting a join, and how the
// answer is read. Pure functions; the HTTP client is net::WebhookClient.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/token.hpp"
#include "signaling/protocol.hpp"

namespace sb::auth {

struct WebhookRequest {
  std::string room;
  std::string identity;    // the token's `sub`; "" without a token
  std::string name;        // the display name the join asked for (or the token's `name`)
  std::string peer_id;     // the id the peer will have if admitted
  std::string ip;          // the client's address as the server saw it
  std::string user_agent;  // the WebSocket upgrade's User-Agent; "" when absent
  std::string claims;      // the verified token payload (JSON text); "" without a token
  std::string metadata;    // the join's `metadata` (JSON text); "" when absent
};

// {"room":..,"identity":..,"name":..,"peerId":..,"ip":..,"userAgent":..,"claims":{..}|null,"metadata":..|null}
std::string webhook_body(const WebhookRequest& request);

struct WebhookLimits {
  std::size_t max_body_bytes = 64 * 1024;  // larger answers are refused while reading (auth-webhook-invalid)
  std::size_t max_meta_bytes = 1024;
  std::size_t max_reason_bytes = 200;
  std::size_t max_ice_servers = 8;
};

// What an allowing answer grants beyond admission.
struct WebhookGrant {
  std::optional<std::vector<signaling::IceServer>> ice_servers;  // replaces the server's own list
  std::uint32_t max_peers = 0;                                   // 0 = not narrowed
  std::optional<std::string> meta;                               // JSON text; replaces the token's
};

using WebhookOutcome = std::variant<WebhookGrant, Refusal>;

// What the HTTP client got back.
struct WebhookReply {
  enum class Kind : std::uint8_t {
    answered,     // an HTTP response: `status` and `body`
    timeout,      // nothing complete within the timeout
    unreachable,  // resolve, connect, TLS (certificate included) or the request failed
    garbled,      // the response was not HTTP, or its body exceeded the limit
  };
  Kind kind = Kind::unreachable;
  unsigned status = 0;
  std::string body = {};
  std::string error = {};  // why, for the server's log (never sent to clients)
};

// A reply as the join's outcome: timeout is auth-webhook-timeout, unreachable auth-webhook-failed, garbled
// auth-webhook-invalid, and an answer is read by read_webhook_answer.
WebhookOutcome read_webhook_reply(const WebhookReply& reply, const WebhookLimits& limits);

// Reads an answer: a non-2xx `status` is auth-webhook-failed, a body that is not
// {allowed: bool, reason?, iceServers?, maxPeers?, meta?} is auth-webhook-invalid, `allowed: false` is
// auth-denied (with `reason` as the message when given).
WebhookOutcome read_webhook_answer(unsigned status, std::string_view body, const WebhookLimits& limits);

}  // namespace sb::auth
