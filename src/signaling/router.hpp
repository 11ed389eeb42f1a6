// Room membership and message routing, behind one interface: MemoryRouter keeps rooms in this process; a
// later Redis-backed router lets a room span several signalbox nodes. Frames cross the interface as
// serialized protocol text, so a distributed router can forward them as they are.
//
// All methods are thread-safe. A router never calls into a PeerLink while holding its own lock.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/peer_link.hpp"
#include "signaling/protocol.hpp"

namespace sb::signaling {

struct JoinResult {
  std::optional<ProtocolError> error;  // room-full or server-full
  std::string peer_id;                 // the newcomer's id (32 hex, CSPRNG)
  std::vector<PeerInfo> peers;         // the others already in the room
};

class Router {
 public:
  virtual ~Router() = default;

  // Admits a peer to `room` (creating it) or fails with room-full / server-full. Others are not told yet:
  // the caller sends `joined` first, then calls announce_joined, so nobody can address the newcomer
  // before it knows its own id.
  virtual JoinResult join(std::string_view room, std::string_view name, std::weak_ptr<PeerLink> link) = 0;
  // Sends `peer-joined` to everyone in `room` but `peer_id`.
  virtual void announce_joined(std::string_view room, std::string_view peer_id) = 0;
  // Delivers `frame` to `to` if both `from` and `to` are members of `room` and differ; false otherwise
  // (unknown-peer).
  virtual bool relay(std::string_view room, std::string_view from, std::string_view to,
                     std::shared_ptr<const std::string> frame) = 0;
  // Removes the peer and sends `peer-left` with `reason` to the rest of the room. Idempotent.
  virtual void leave(std::string_view room, std::string_view peer_id, LeaveReason reason) = 0;

  virtual std::size_t room_count() const = 0;
  virtual std::size_t peer_count() const = 0;
};

}  // namespace sb::signaling
