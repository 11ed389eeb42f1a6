#include "signaling/memory_router.hpp"

#include <algorithm>

#include "util/random.hpp"

namespace sb::signaling {

JoinResult MemoryRouter::join(std::string_view room, std::string_view name, std::weak_ptr<PeerLink> link) {
  JoinResult result;
  std::lock_guard lock(mu_);
  auto it = rooms_.find(room);
  if (it == rooms_.end()) {
    if (rooms_.size() >= limits_.max_rooms) {
      result.error = ProtocolError{ErrorCode::server_full, "", "the server's room limit is reached"};
      return result;
    }
    it = rooms_.emplace(std::string(room), Room{}).first;
  } else if (it->second.size() >= limits_.max_peers_per_room) {
    result.error = ProtocolError{ErrorCode::room_full, "room",
                                 "room " + std::string(room) + " is full (" +
                                     std::to_string(limits_.max_peers_per_room) + " peers)"};
    return result;
  }
  // 128 bits from the CSPRNG: unguessable, so collisions are not worth checking for.
  result.peer_id = util::random_hex(16);
  result.peers.reserve(it->second.size());
  for (const auto& m : it->second) result.peers.push_back(PeerInfo{m.id, m.name});
  it->second.push_back(Member{result.peer_id, std::string(name), std::move(link)});
  ++peers_;
  return result;
}

std::vector<std::weak_ptr<PeerLink>> MemoryRouter::others_locked(const Room& room, std::string_view except) const {
  std::vector<std::weak_ptr<PeerLink>> links;
  links.reserve(room.size());
  for (const auto& m : room) {
    if (m.id != except) links.push_back(m.link);
  }
  return links;
}

void MemoryRouter::send_all(const std::vector<std::weak_ptr<PeerLink>>& links,
                            const std::shared_ptr<const std::string>& frame) {
  for (const auto& weak : links) {
    if (auto link = weak.lock()) link->send(frame);
  }
}

void MemoryRouter::announce_joined(std::string_view room, std::string_view peer_id) {
  std::vector<std::weak_ptr<PeerLink>> links;
  std::shared_ptr<const std::string> frame;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    auto self = std::find_if(it->second.begin(), it->second.end(), [&](const Member& m) { return m.id == peer_id; });
    if (self == it->second.end()) return;
    frame = std::make_shared<const std::string>(serialize(ServerMessage{msg::PeerJoined{self->id, self->name}}));
    links = others_locked(it->second, peer_id);
  }
  send_all(links, frame);
}

bool MemoryRouter::relay(std::string_view room, std::string_view from, std::string_view to,
                         std::shared_ptr<const std::string> frame) {
  if (from == to) return false;
  std::shared_ptr<PeerLink> target;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return false;
    // Both ends must be members: a sender can never reach into a room it is not in.
    const Member* sender = nullptr;
    const Member* receiver = nullptr;
    for (const auto& m : it->second) {
      if (m.id == from) sender = &m;
      if (m.id == to) receiver = &m;
    }
    if (sender == nullptr || receiver == nullptr) return false;
    target = receiver->link.lock();
  }
  // A member whose link is gone is leaving right now; the frame has nowhere to go, but `to` was valid.
  if (target) target->send(std::move(frame));
  return true;
}

void MemoryRouter::leave(std::string_view room, std::string_view peer_id, LeaveReason reason) {
  std::vector<std::weak_ptr<PeerLink>> links;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    auto& members = it->second;
    auto m = std::find_if(members.begin(), members.end(), [&](const Member& x) { return x.id == peer_id; });
    if (m == members.end()) return;
    members.erase(m);
    --peers_;
    if (members.empty()) {
      rooms_.erase(it);
      return;
    }
    links = others_locked(members, peer_id);
  }
  auto frame = std::make_shared<const std::string>(
      serialize(ServerMessage{msg::PeerLeft{std::string(peer_id), reason}}));
  send_all(links, frame);
}

std::size_t MemoryRouter::room_count() const {
  std::lock_guard lock(mu_);
  return rooms_.size();
}

std::size_t MemoryRouter::peer_count() const {
  std::lock_guard lock(mu_);
  return peers_;
}

}  // namespace sb::signaling
