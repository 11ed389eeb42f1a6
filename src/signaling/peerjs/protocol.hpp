// The PeerJS server protocol (wire-compatible with `peer` 1.0.x as the `peerjs` 1.5.x client uses it):
// typed messages, parse and serialize, no I/O. docs/compatibility.md describes the protocol and where
// signalbox differs.
//
// A client opens a WebSocket at `<path>/peerjs?key=K&id=I&token=T` (connect_params reads the query). Frames
// are JSON objects `{type, src?, dst?, payload?}`. The server relays OFFER, ANSWER, CANDIDATE, LEAVE and
// EXPIRE to `dst` with `src` set to the sender's id; it answers a new connection with OPEN, or with ERROR or
// ID-TAKEN and a close; HEARTBEAT keeps a connection alive; EXPIRE tells a sender that a message waited for
// its target longer than the expire timeout. `payload` is passed on exactly as the client wrote it.
//
// Frames the reference server ignores (invalid JSON, no or an unknown `type`, server-only types) are
// reported as Dropped, never as an error frame: the peerjs client destroys itself on ERROR.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace sb::signaling::peerjs {

enum class Type : std::uint8_t { open, leave, candidate, offer, answer, expire, heartbeat, id_taken, error };
std::string_view to_string(Type t);
std::optional<Type> type_from_string(std::string_view s);
// OFFER, ANSWER and CANDIDATE wait for a target that has not connected yet; LEAVE and EXPIRE do not.
bool is_held_when_absent(Type t);

struct Limits {
  std::size_t max_id_bytes = 64;     // client-chosen ids; server-minted ones are UUIDs (36)
  std::size_t max_token_bytes = 64;  // the peerjs client's token is ~11 characters of Math.random()
  std::size_t max_key_bytes = 64;
  std::size_t max_depth = 32;  // JSON nesting inside `payload`
};

// The ERROR texts a client can receive (payload.msg). The first three are the reference server's own
// strings, which apps may compare against; the last is signalbox's.
enum class ErrorText : std::uint8_t { invalid_key, missing_parameters, concurrent_limit, invalid_id };
std::string_view to_string(ErrorText e);

// Ids as the peerjs client accepts them (alphanumeric runs joined by single ' ', '_' or '-'), at most
// max_bytes long. Ids the server mints (UUIDs) are of this form.
bool is_valid_id(std::string_view id, std::size_t max_bytes);

// The WebSocket request's query string (without '?'), decoded as application/x-www-form-urlencoded; the last
// of repeated names wins, as in the reference server. `version` and unknown names are ignored.
struct ConnectParams {
  std::string key;
  std::string id;
  std::string token;
  bool operator==(const ConnectParams&) const = default;
};
std::variant<ConnectParams, ErrorText> connect_params(std::string_view query, const Limits& limits);

// ---- client → server ----
namespace msg {
struct Relay {
  Type type = Type::offer;   // offer, answer, candidate, leave or expire
  std::string dst;           // empty: none (absent, null or "")
  std::string_view payload;  // raw JSON as written, pointing into the parsed frame; empty: absent
};
struct Heartbeat {};
}  // namespace msg

enum class DropReason : std::uint8_t { invalid_json, not_an_object, unknown_type, invalid_dst };
inline constexpr std::size_t kDropReasonCount = 4;
std::string_view to_string(DropReason r);
struct Dropped {
  DropReason reason = DropReason::invalid_json;
};

using ClientMessage = std::variant<msg::Relay, msg::Heartbeat, Dropped>;
// `frame` must outlive the returned Relay's payload view.
ClientMessage parse_client_message(std::string_view frame, const Limits& limits);

// ---- server → client ----
namespace msg {
struct Open {
  bool operator==(const Open&) const = default;
};
struct Error {
  std::string msg;
  bool operator==(const Error&) const = default;
};
struct IdTaken {
  bool operator==(const IdTaken&) const = default;
};
// A relayed message (and the server's own EXPIRE and LEAVE): {type, src, dst, payload?}.
struct Relayed {
  Type type = Type::offer;
  std::string src;
  std::string dst;
  std::optional<std::string> payload;  // raw JSON; nullopt: absent
  bool operator==(const Relayed&) const = default;
};
}  // namespace msg

using ServerMessage = std::variant<msg::Open, msg::Error, msg::IdTaken, msg::Relayed>;
std::string serialize(const ServerMessage& m);
// The relay hot path: builds {"type":T,"src":S,"dst":D,"payload":P} without a Relayed in between. `payload`
// empty leaves the member out.
std::string relay_frame(Type type, std::string_view src, std::string_view dst, std::string_view payload);
std::string error_frame(ErrorText e);

// What a client reads (tests, load generator). nullopt for a frame that is not a server message.
std::optional<ServerMessage> parse_server_message(std::string_view frame, const Limits& limits);

// The HTTP API under `<path>`: `<path>/` (a short description), `<path>/<key>/id` (a fresh id) and
// `<path>/<key>/peers` (ids connected, only with discovery enabled). `path` is normalized as the client
// does: leading '/', no trailing '/' except for the root.
enum class HttpEndpoint : std::uint8_t { none, info, id, peers };
struct HttpRoute {
  HttpEndpoint endpoint = HttpEndpoint::none;
  std::string key;  // id and peers
};
HttpRoute http_route(std::string_view target, std::string_view path);
// A fresh id for GET <path>/<key>/id: a version 4 UUID (RFC 9562 §5.4) from 16 random bytes, as peer hands
// out (crypto.randomUUID).
std::string uuid_v4(const std::uint8_t (&random)[16]);

// `<path>/peerjs` for the WebSocket.
std::string websocket_path(std::string_view path);
std::string normalize_path(std::string_view path);

}  // namespace sb::signaling::peerjs
