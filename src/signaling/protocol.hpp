// Protocol v1 codec (docs/signaling-protocol.md is the specification): one typed struct per message,
// parse and serialize in both directions. Shared by the server, the native client and the tests.
//
// Parsing never throws: it returns either the message or a ProtocolError {code, field, message}. The size
// limits of the protocol document are enforced here, with values from `Limits`.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sb::signaling {

// Size limits a parser enforces. Defaults are the protocol document's.
struct Limits {
  std::size_t max_sdp_bytes = 32 * 1024;
  std::size_t max_candidate_bytes = 1024;  // candidate string, and sdpMid / usernameFragment
  std::size_t max_name_bytes = 64;
  std::size_t max_room_bytes = 64;
  std::size_t max_token_bytes = 4096;    // `token` of `join`
  std::size_t max_metadata_bytes = 1024;  // `metadata` of `join`, serialized
};

// Stable error codes (docs/signaling-protocol.md, "Error codes").
enum class ErrorCode : std::uint8_t {
  invalid_json,
  invalid_message,
  unknown_type,
  field_too_large,
  not_joined,
  already_joined,
  unknown_peer,
  room_full,
  server_full,
  rate_limited,
  unavailable,  // the cluster cannot serve this now (Redis away, or the node is draining); try again
  id_taken,     // a client-chosen peer id is in use in that room (protocols that let clients choose ids)
  // Access control (docs/auth.md): a refused join closes the connection after the error.
  token_required,       // authentication is on and the join carried no token
  token_malformed,      // not a compact JWS, or a claim is missing or of the wrong type
  token_bad_signature,  // the signature does not verify with the key its `kid` names
  token_bad_algorithm,  // `alg` is `none`, or not the algorithm pinned to the key
  token_unknown_kid,    // no configured key has the token's `kid`
  token_expired,        // `exp` has passed (beyond the leeway)
  token_not_yet_valid,  // `nbf` or `iat` lies in the future (beyond the leeway)
  token_wrong_room,     // the token's `room` does not cover the room asked for
  token_wrong_audience, // `aud` does not name this server's audience
  token_wrong_issuer,   // `iss` is not the configured issuer
  auth_denied,          // the auth webhook answered `allowed: false`
  auth_webhook_failed,  // the webhook could not be reached or answered with a non-2xx status
  auth_webhook_timeout, // no webhook answer within auth-webhook-timeout
  auth_webhook_invalid, // the webhook's answer is not the documented JSON
  auth_busy,            // too many webhook calls in flight
  auth_timeout,         // not admitted within auth-deadline of connecting
  auth_blocked,         // too many failed joins from this source IP recently
  resume_refused,  // a `resume` the server cannot honour; the error's `reason` says why (ResumeRefusal)
};
inline constexpr std::size_t kErrorCodeCount = 30;
std::string_view to_string(ErrorCode code);
std::optional<ErrorCode> error_code_from_string(std::string_view s);

// node_lost: the peer's signalbox node stopped heartbeating (docs/cluster.md).
enum class LeaveReason : std::uint8_t { bye, disconnect, timeout, dropped, node_lost };
std::string_view to_string(LeaveReason reason);
std::optional<LeaveReason> leave_reason_from_string(std::string_view s);

struct ProtocolError {
  ErrorCode code = ErrorCode::invalid_message;
  std::string field;    // the offending field, empty when not about one field
  std::string message;  // human readable
  bool operator==(const ProtocolError&) const = default;
};

// RTCIceCandidateInit. Absent and null optional members are the same thing here and are not serialized.
struct IceCandidate {
  std::string candidate;
  std::optional<std::string> sdp_mid;
  std::optional<std::uint16_t> sdp_mline_index;
  std::optional<std::string> username_fragment;
  bool operator==(const IceCandidate&) const = default;
};

// RTCIceServer as handed out in `joined`.
struct IceServer {
  std::vector<std::string> urls;
  std::optional<std::string> username;
  std::optional<std::string> credential;
  bool operator==(const IceServer&) const = default;
};

// A room member as other members learn of it (rosters, peer-joined), on this node and across nodes.
struct PeerInfo {
  std::string id;
  std::string name;
  // Defaulted, so that {id, name} still initializes the rest without a warning.
  std::string identity{};  // who the server admitted (an auth token's `sub`); empty without auth
  std::string meta{};      // JSON text passed on to peers as it is; empty: none
  bool operator==(const PeerInfo&) const = default;
};

// How to resume a session: handed out in `joined` (when the join asked for it) and, with a new secret, in
// every `resumed`. The secret is 128 bits from the CSPRNG; the server keeps only its hash.
struct ResumeTicket {
  std::string session;
  std::string secret;
  double window_s = 0;  // how long the session waits for a resume after its connection drops
  bool operator==(const ResumeTicket&) const = default;
};

// ---- client → server ----
namespace msg {
struct Join {
  std::string room;
  std::string name;
  bool resume = false;  // the client can resume: `joined` then carries a ResumeTicket (docs: "Resume")
  // Added with access control; defaulted, so `Join{room, name}` and `Join{room, name, resume}` read as before.
  std::string token = {};     // a JWT (docs/auth.md); empty: none
  std::string metadata = {};  // any JSON value, as compact text, for the auth webhook only; empty: none
  bool operator==(const Join&) const = default;
};
struct Offer {
  std::string to;
  std::string sdp;
  bool operator==(const Offer&) const = default;
};
struct Answer {
  std::string to;
  std::string sdp;
  bool operator==(const Answer&) const = default;
};
struct Candidate {
  std::string to;
  std::optional<IceCandidate> candidate;  // nullopt: end of candidates
  bool operator==(const Candidate&) const = default;
};
struct Bye {
  bool operator==(const Bye&) const = default;
};
struct Ping {
  bool operator==(const Ping&) const = default;
};
// Re-attaches this connection to a session whose connection dropped (docs/signaling-protocol.md, "Resume").
struct Resume {
  std::string session;
  std::string secret;
  std::uint64_t seq = 0;  // the last sequence number the client received; 0: none
  bool operator==(const Resume&) const = default;
};
// The client has every server message up to `seq`: the server may forget them.
struct Ack {
  std::uint64_t seq = 0;
  bool operator==(const Ack&) const = default;
};

// ---- server → client ----

struct Joined {
  std::string id;
  std::string room;
  std::vector<PeerInfo> peers;
  std::vector<IceServer> ice_servers;
  std::optional<ResumeTicket> resume = {};
  bool operator==(const Joined&) const = default;
};
// The answer to a `resume`: the session is this connection's again. Kept messages follow, in order.
struct Resumed {
  std::string id;
  std::string room;
  ResumeTicket resume;
  std::uint64_t received = 0;  // offer/answer/candidate messages the server has read from this session
  std::vector<IceServer> ice_servers;
  bool operator==(const Resumed&) const = default;
};
// A peer's connection dropped; it may resume within the window (or leave with `timeout`).
struct PeerReconnecting {
  std::string id;
  bool operator==(const PeerReconnecting&) const = default;
};
// A peer that was reconnecting resumed its session.
struct PeerResumed {
  std::string id;
  bool operator==(const PeerResumed&) const = default;
};
struct PeerJoined {
  std::string id;
  std::string name;
  std::string identity = {};  // as in PeerInfo: empty without access control
  std::string meta = {};      // JSON text; empty: none
  // Fresh ICE servers for the recipient (TURN credentials are short-lived: a peer that waited alone in its
  // room connects to the newcomer with credentials minted now). Empty: not sent.
  std::vector<IceServer> ice_servers = {};
  bool operator==(const PeerJoined&) const = default;
};
struct PeerLeft {
  std::string id;
  LeaveReason reason = LeaveReason::bye;
  bool operator==(const PeerLeft&) const = default;
};
struct RelayedOffer {
  std::string from;
  std::string sdp;
  bool operator==(const RelayedOffer&) const = default;
};
struct RelayedAnswer {
  std::string from;
  std::string sdp;
  bool operator==(const RelayedAnswer&) const = default;
};
struct RelayedCandidate {
  std::string from;
  std::optional<IceCandidate> candidate;
  bool operator==(const RelayedCandidate&) const = default;
};
struct Pong {
  bool operator==(const Pong&) const = default;
};
// This server is going away (SIGTERM): connect again, possibly to another node, and join afresh.
struct Drain {
  bool operator==(const Drain&) const = default;
};
struct Error {
  ErrorCode code = ErrorCode::invalid_message;
  std::string message;
  std::string field;  // empty: not sent
  std::string ref;    // `type` of the message that caused it; empty: not sent
  std::string reason = {};  // resume-refused: why (to_string(ResumeRefusal)); empty: not sent
  bool operator==(const Error&) const = default;
};
}  // namespace msg

using ClientMessage = std::variant<msg::Join, msg::Offer, msg::Answer, msg::Candidate, msg::Bye, msg::Ping,
                                   msg::Resume, msg::Ack>;
using ServerMessage = std::variant<msg::Joined, msg::PeerJoined, msg::PeerLeft, msg::RelayedOffer,
                                   msg::RelayedAnswer, msg::RelayedCandidate, msg::Pong, msg::Error, msg::Drain,
                                   msg::Resumed, msg::PeerReconnecting, msg::PeerResumed>;

// Why a `resume` was refused (the `reason` of a resume-refused error). The client then joins afresh.
enum class ResumeRefusal : std::uint8_t {
  expired,   // no session with that id is held: its window passed, it ended, or it never existed here
  secret,    // the secret does not match
  replayed,  // a secret that was valid before an earlier resume: the session ends (it may have been stolen)
  lost,      // messages after the client's `seq` are no longer kept: the session ends
};
inline constexpr std::size_t kResumeRefusalCount = 4;
std::string_view to_string(ResumeRefusal r);

template <class T>
using Parsed = std::variant<T, ProtocolError>;

// Client → server frames (what the server reads). `ref_type` (optional) receives the frame's `type`
// whenever it could be read, so an error reply can carry `ref`.
Parsed<ClientMessage> parse_client_message(std::string_view frame, const Limits& limits,
                                           std::string* ref_type = nullptr);
std::string serialize(const ClientMessage& m);

// Server → client frames (what clients read). Limits apply as for client messages. `seq` (optional) receives
// the frame's sequence number, 0 when it carries none.
Parsed<ServerMessage> parse_server_message(std::string_view frame, const Limits& limits,
                                           std::uint64_t* seq = nullptr);
std::string serialize(const ServerMessage& m);

// Sequence numbers of a resumable session's server messages: `{"seq":N,` written in front of a serialized
// frame without its opening brace, so a shared frame gets its number without being copied (src/net writes the
// two pieces as one WebSocket message). `frame` must be a JSON object with at least one member.
class SeqPrefix {
 public:
  explicit SeqPrefix(std::uint64_t seq);
  std::string_view view() const { return {buf_.data(), size_}; }

 private:
  std::array<char, 32> buf_{};
  std::size_t size_ = 0;
};
// The frame's body after its opening brace (what follows a SeqPrefix).
inline std::string_view after_brace(std::string_view frame) { return frame.substr(1); }
// The whole frame with its sequence number, as one string (tests, and links without scatter writes).
std::string with_seq(std::string_view frame, std::uint64_t seq);

// The wire `type` of a message.
std::string_view type_name(const ClientMessage& m);
std::string_view type_name(const ServerMessage& m);

// Peer ids are 32 lowercase hex characters (128 bits).
inline constexpr std::size_t kPeerIdChars = 32;
bool is_valid_peer_id(std::string_view id);
// Resume session ids and secrets have the same form as peer ids (128 bits, 32 lowercase hex characters).
inline bool is_valid_hex128(std::string_view s) { return is_valid_peer_id(s); }
// 1..max_room_bytes characters of [A-Za-z0-9_.-].
bool is_valid_room_name(std::string_view room, std::size_t max_room_bytes);

}  // namespace sb::signaling
