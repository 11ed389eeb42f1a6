// What signalbox nodes say to each other through Redis, and what a node reads back from Redis: the messages on
// the per-node pub/sub channels, and the member records in the room hashes (docs/cluster.md, "State" and
// "Channels"). No I/O; the cluster fuzz target feeds parse_bus_message and parse_member_record arbitrary bytes.
//
// A bus message is text: a kind letter and header fields, one per line, then a body that runs to the end (a
// relayed frame, or a peer's JSON). Header fields never contain a newline: rooms, ids and node ids are checked
// before they reach the bus (valid_field).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "signaling/counters.hpp"
#include "signaling/events.hpp"
#include "signaling/protocol.hpp"
#include "signaling/resume.hpp"

namespace sb::cluster {

// Longest room, peer id or node id a node accepts from Redis (and lets a join put there).
inline constexpr std::size_t kMaxFieldBytes = 256;
// Longest relayed frame or peer JSON a node accepts from the bus.
inline constexpr std::size_t kMaxBodyBytes = 1 << 20;

// 1..kMaxFieldBytes bytes, no newline and no NUL.
bool valid_field(std::string_view s);

namespace bus {

// A frame from `from` (on node `origin`) for `to`, which the receiving node holds. Views into the message.
struct Relay {
  std::string_view origin, room, from, to;
  signaling::RelayedType type = signaling::RelayedType::offer;
  std::string_view frame;
};
// `peer` (on `node`) is announced in `room`: members who joined before it (seq below) are told.
struct Joined {
  std::string room;
  std::string node;
  std::uint64_t seq = 0;
  signaling::PeerInfo peer;
};
// `id` left `room` (or its node was lost).
struct Left {
  std::string_view room, id;
  signaling::LeaveReason reason = signaling::LeaveReason::bye;
};
// A relay of `from`'s did not reach `to`: the answer goes back to the sender's node.
struct Undeliverable {
  std::string_view room, from, to;
  signaling::RelayedType type = signaling::RelayedType::offer;
  signaling::ErrorCode code = signaling::ErrorCode::unknown_peer;
};

// Router::watch across nodes: `origin` watches `target` in `room`, which the receiving node holds; the answer is
// Arrived once the target is announced there.
struct WatchQuery {
  std::string_view origin, room, target;
};
// `peer` is a member of `room` and announced: the receiving node's members watching its id are told.
struct Arrived {
  std::string room;
  signaling::PeerInfo peer;
};
// `id`'s connection dropped and it waits for a resume, or it resumed (session resume): those who know of it hear.
struct Status {
  std::string_view room, id;
  signaling::PeerStatus status = signaling::PeerStatus::reconnecting;
};

// Resume across nodes (docs/cluster.md, "Resume across nodes"). `origin`'s client resumes `session`, which
// `origin` does not hold: every other node is asked, with the hash of the secret the client showed.
struct Find {
  std::string_view origin, session;
  std::uint64_t seq = 0;
  signaling::SecretHash hash{};
};
// The answer of a node that does not hold `session`.
struct NotHere {
  std::string_view session;
};
// The answer of the node that holds `session` when the resume is refused there.
struct Refusal {
  std::string session;
  signaling::ResumeFailed failed;
};
// A member of the room as the handing node knew it (so the new node knows whom the session's peer knows).
struct RosterEntry {
  std::string node;
  std::uint64_t seq = 0;
  bool announced = true;
  signaling::PeerInfo peer;
};
// The answer of the node that held the session: the session, and its member record (which the same script
// moves to the receiving node in Redis).
struct Transfer {
  signaling::SessionTransfer session;
  std::uint64_t seq = 0;  // the member's join order
  bool presence = true;
  signaling::PeerInfo peer;
  std::vector<RosterEntry> roster;
};
// A frame for `session` that reached its old node after the handover.
struct Kept {
  std::string_view session, frame;
};
// `id` in `room` is held by `node` now: the room's other nodes relay to it there.
struct Moved {
  std::string_view room, id, node;
};

// Re-attach across nodes (docs/cluster.md, "Re-attach across nodes"). `origin`'s client showed the token of `id`,
// which the receiving node holds in `room`: published by the join script, which found the same digest in the
// id's record. `digest` is 64 lowercase hex characters.
struct Claim {
  std::string_view origin, room, id, digest;
};
// The holder's answer to a Claim: the id was moved to the receiving node (`moved`, with the member's join order
// `seq`; published by the move script) or not (the holder no longer has it).
struct Handed {
  std::string_view room, id;
  bool moved = false;
  std::uint64_t seq = 0;
};

}  // namespace bus

using BusMessage = std::variant<bus::Relay, bus::Joined, bus::Left, bus::Undeliverable, bus::WatchQuery,
                                bus::Arrived, bus::Status, bus::Find, bus::NotHere, bus::Refusal, bus::Transfer,
                                bus::Kept, bus::Moved, bus::Claim, bus::Handed>;

std::string encode_relay(std::string_view origin, std::string_view room, std::string_view from, std::string_view to,
                         signaling::RelayedType type, std::string_view frame);
std::string encode_joined(std::string_view room, std::string_view node, std::uint64_t seq,
                          const signaling::PeerInfo& peer);
std::string encode_left(std::string_view room, std::string_view id, signaling::LeaveReason reason);
std::string encode_undeliverable(std::string_view room, std::string_view from, std::string_view to,
                                 signaling::RelayedType type, signaling::ErrorCode code);
std::string encode_watch_query(std::string_view origin, std::string_view room, std::string_view target);
std::string encode_arrived(std::string_view room, const signaling::PeerInfo& peer);
std::string encode_status(std::string_view room, std::string_view id, signaling::PeerStatus status);

// A secret's hash as 64 lowercase hex characters, and back (nullopt for anything else).
std::string hash_hex(const signaling::SecretHash& hash);
std::optional<signaling::SecretHash> parse_hash_hex(std::string_view hex);

std::string encode_find(std::string_view origin, std::string_view session, std::uint64_t seq,
                        const signaling::SecretHash& hash);
std::string encode_not_here(std::string_view session);
std::string encode_refusal(std::string_view session, const signaling::ResumeFailed& failed);
std::string encode_transfer(const bus::Transfer& t);  // bus_transfer.cpp
std::string encode_kept(std::string_view session, std::string_view frame);
std::string encode_moved(std::string_view room, std::string_view id, std::string_view node);
std::string encode_claim(std::string_view origin, std::string_view room, std::string_view id,
                         std::string_view digest);
std::string encode_handed(std::string_view room, std::string_view id, bool moved, std::uint64_t seq);
// The body of a Transfer (after "T\n"); bus_transfer.cpp.
std::optional<bus::Transfer> parse_transfer(std::string_view body);

// nullopt for anything malformed (counted and dropped by the caller). Views point into `message`.
std::optional<BusMessage> parse_bus_message(std::string_view message);

// A member as stored in its room's hash (field: the member's id): "<node>\n<seq>\n<presence 0|1>\n<peer JSON>".
// The node comes first, so the Lua scripts can find it with one match. The JSON has an "attach" member when the
// join had a token digest (JoinRequest::token_digest): the scripts compare it as it is written.
struct MemberRecord {
  std::string node;
  std::uint64_t seq = 0;
  bool presence = true;
  signaling::PeerInfo peer;  // id from the hash field
  std::string attach{};      // the token digest, 64 lowercase hex characters; empty: none
};
// The record without its seq, which the join script prepends from Redis's clock: "<node>\n" then, after the
// script's "<seq>\n", "<presence>\n<peer JSON>".
std::string encode_record_tail(bool presence, const signaling::PeerInfo& peer, std::string_view attach = {});
std::string encode_record(const MemberRecord& r);
std::optional<MemberRecord> parse_member_record(std::string_view id, std::string_view value);

}  // namespace sb::cluster
