// Room membership and message routing, behind one interface with two implementations: MemoryRouter keeps the
// rooms of one process; RedisRouter (src/cluster) lets a room span several signalbox nodes that share a
// Redis. One test suite runs against both (tests/unit/signaling/router_contract.hpp).
//
// Calls are non-blocking and thread-safe, and their outcomes reach members as events (events.hpp): the answer
// to a join, an undeliverable relay, what others do. A router never calls a Member under its own lock.
//
// Rooms never mix wire protocols: each protocol names its rooms in its own namespace (a v1 room is `demo`;
// other protocols prefix theirs, e.g. `peerjs/<key>`), so no frame of one protocol reaches a member of
// another.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "signaling/events.hpp"
#include "signaling/protocol.hpp"

namespace sb::signaling {

struct JoinRequest {
  std::string room;
  // `self.id` empty: the router mints a 128-bit id. A protocol whose clients choose their ids passes one and
  // is refused with id-taken when it is in use in the room.
  PeerInfo self;
  // The room's capacity for this join; 0 = the router's default (RouterLimits::max_peers_per_room). The
  // session caps what a client or token asks for by the server's limit before it gets here.
  std::uint32_t max_peers = 0;
  // false: no roster in Admitted, and no PeerJoined / PeerLeft about or to this member (a protocol that only
  // addresses ids, such as PeerJS, in rooms too big to broadcast to).
  bool presence = true;
  // The SHA-256 of the secret the client showed with its chosen id (a PeerJS token), for a protocol whose
  // clients re-attach an id with it (docs/compatibility.md, "Re-attach"). A RedisRouter keeps it with the
  // member's record, and a join with the digest of a member held on another node takes the id over from that
  // node (docs/cluster.md, "Re-attach across nodes"); MemoryRouter ignores it (one node: peerjs::Attachments).
  std::optional<std::array<std::uint8_t, 32>> token_digest{};
};

// The protocol side of an id taken over between nodes: another node's connection showed the token of `id`, a
// member of this node in `room`, and the id is that node's now. The router has already forgotten the member here
// (without a leave: the id did not leave the room); the holder closes its connection. Implemented by
// peerjs::Attachments; called on the router's thread, never under its lock.
class IdHolder {
 public:
  virtual ~IdHolder() = default;
  virtual void handed_over(std::string_view room, std::string_view id) = 0;
};

struct RouterLimits {
  std::uint32_t max_peers_per_room = 2;
  std::uint32_t max_rooms = 100000;  // rooms held on this node
};

class Router {
 public:
  virtual ~Router() = default;

  // Asks to admit a member to `request.room` (creating it). Returns the member's id at once (the given one,
  // or a fresh one); the answer, Admitted or Refused, follows as an event to `member`. Others are not told
  // yet: after its protocol session has sent the newcomer its own id, it calls announce_joined, so nobody
  // can address the newcomer before it knows its id.
  virtual std::string join(JoinRequest request, std::weak_ptr<Member> member) = 0;
  // PeerJoined to every member of `room` but `id` that was in the room before `id` joined (members with
  // presence), and to every member watching `id` (watch, below).
  virtual void announce_joined(std::string_view room, std::string_view id) = 0;
  // Delivers `relay` to `to` when both `from` and `to` are members of `room` (and differ); otherwise `from`
  // gets Undeliverable. The fast path: a relay between two members of this node takes no lock but the
  // router's own and no allocation.
  virtual void relay(std::string_view room, std::string_view from, std::string_view to,
                     event::Relay relay) = 0;
  // Removes the member; the others get PeerLeft with `reason`. Idempotent; also cancels a join not yet
  // answered.
  virtual void leave(std::string_view room, std::string_view id, LeaveReason reason) = 0;
  // A one-shot notice of arrival, for protocols without presence (PeerJS holds messages for an id until it
  // connects, docs/compatibility.md): `watcher`, a member of `room`, gets PeerJoined{target} once `target` is
  // a member of `room` and announced (at once if it already is). The watch ends with that event, with
  // unwatch, or when the watcher leaves.
  virtual void watch(std::string_view room, std::string_view watcher, std::string_view target) = 0;
  virtual void unwatch(std::string_view room, std::string_view watcher, std::string_view target) = 0;
  // Tells the members of `room` that know of `id` (those PeerLeft would reach) about its connection:
  // StatusChanged{id, status}. Membership does not change; a member that is not in `room` is ignored.
  virtual void set_status(std::string_view room, std::string_view id, PeerStatus status) = 0;
  // This node is going away: joins are refused (unavailable) from now on, and every member gets Drain.
  virtual void drain() = 0;
  // Who is told when another node takes one of this node's ids over (nullptr: nobody). A router that never hands
  // ids over between nodes ignores it.
  virtual void set_id_holder(IdHolder* holder) { (void)holder; }

  // Node-local gauges for /metrics.
  virtual std::size_t room_count() const = 0;
  virtual std::size_t peer_count() const = 0;
};

}  // namespace sb::signaling
