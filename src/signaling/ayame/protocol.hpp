// The Ayame signaling protocol (wire-compatible with the Ayame server as `@open-ayame/ayame-web-sdk` and
// Momo use it): typed messages, parse and serialize, no I/O. docs/compatibility.md describes it and where
// signalbox differs.
//
// A client opens a WebSocket at `/signaling` and sends `register` {roomId, clientId?, signalingKey? (or the
// older `key`), authnMetadata?, ...}. The server answers `accept` {connectionId, iceServers?, authzMetadata?,
// isExistClient, isExistUser} or `reject` {reason} ("full" for a room that already holds two). Then `offer`,
// `answer` and `candidate` frames go to the other member exactly as written. The server sends `ping` every
// few seconds and expects `pong`; when the other member leaves it sends `bye` and closes. Anything else a
// client sends ends the connection, as on the Ayame server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "signaling/protocol.hpp"

namespace sb::signaling::ayame {

struct Limits {
  std::size_t max_id_bytes = 255;         // roomId, clientId, signalingKey and the client-description strings
  std::size_t max_metadata_bytes = 8192;  // authnMetadata as written (JSON)
  std::size_t max_depth = 32;             // JSON nesting
};

// Why a connection ends. The names are the Ayame server's error names (its log keys), so operators can
// compare logs; they go out as the WebSocket close reason, or as a `reject` reason during `register`.
enum class Failure : std::uint8_t {
  invalid_json,             // not JSON, or a member of the wrong JSON type
  unexpected_json,          // `null`
  invalid_message_type,     // a type a client may not send
  missing_room_id,          // register without roomId
  field_too_large,          // a register field over its limit (signalbox's own)
  registration_incomplete,  // offer/answer/candidate/connected before accept
  already_registered,       // a second register (Ayame: InternalServerError)
};
inline constexpr std::size_t kFailureCount = 7;
std::string_view to_string(Failure f);

// ---- client → server ----
namespace msg {
struct Register {
  std::string room_id;
  std::string client_id;                      // empty: none given (the server then uses the connection id)
  std::optional<std::string> signaling_key;   // `signalingKey`, else the older `key`
  std::optional<std::string> authn_metadata;  // raw JSON as written; nullopt: absent or null
  std::optional<std::string> ayame_client;
  std::optional<std::string> libwebrtc;
  std::optional<std::string> environment;
  bool standalone = false;
  bool operator==(const Register&) const = default;
};
struct Pong {
  bool operator==(const Pong&) const = default;
};
// offer, answer or candidate: the frame goes to the other member exactly as the client wrote it.
enum class ForwardType : std::uint8_t { offer, answer, candidate };
struct Forward {
  ForwardType type = ForwardType::offer;
  bool operator==(const Forward&) const = default;
};
// Standalone mode's "the peer connection is up" (the server then closes the WebSocket).
struct Connected {
  bool operator==(const Connected&) const = default;
};
}  // namespace msg
std::string_view to_string(msg::ForwardType t);

using ClientMessage = std::variant<msg::Register, msg::Pong, msg::Forward, msg::Connected, Failure>;
ClientMessage parse_client_message(std::string_view frame, const Limits& limits);

// ---- server → client ----
namespace msg {
struct Accept {
  std::string connection_id;
  std::optional<std::string> authz_metadata;          // raw JSON from the auth webhook
  std::optional<std::vector<IceServer>> ice_servers;  // left out when nullopt
  bool is_exist_client = false;                       // sent twice: isExistClient and the older isExistUser
  bool operator==(const Accept&) const = default;
};
struct Reject {
  std::string reason;
  bool operator==(const Reject&) const = default;
};
struct Ping {
  bool operator==(const Ping&) const = default;
};
struct Bye {
  bool operator==(const Bye&) const = default;
};
// A frame of the other member (what parse_server_message reports for offer/answer/candidate).
struct Forwarded {
  ForwardType type = ForwardType::offer;
  std::string frame;
  bool operator==(const Forwarded&) const = default;
};
}  // namespace msg

using ServerMessage = std::variant<msg::Accept, msg::Reject, msg::Ping, msg::Bye, msg::Forwarded>;
// Forwarded serializes to its frame as it is.
std::string serialize(const ServerMessage& m);
std::optional<ServerMessage> parse_server_message(std::string_view frame, const Limits& limits);

// Ayame's connection ids are ULIDs: 48 bits of milliseconds since the epoch and 80 random bits, in 26
// characters of Crockford's base32. The caller supplies the clock and the randomness.
inline constexpr std::size_t kConnectionIdChars = 26;
std::string connection_id(std::uint64_t unix_ms, const std::uint8_t (&random)[10]);

}  // namespace sb::signaling::ayame
