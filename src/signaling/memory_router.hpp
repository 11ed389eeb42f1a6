// In-process Router: a map of rooms under one mutex.
#pragma once

#include <mutex>
#include <string>
#include <functional>
#include <unordered_map>
#include <vector>

#include "signaling/router.hpp"

namespace sb::signaling {

struct RouterLimits {
  std::size_t max_peers_per_room = 2;
  std::size_t max_rooms = 100000;
};

class MemoryRouter final : public Router {
 public:
  explicit MemoryRouter(RouterLimits limits) : limits_(limits) {}

  JoinResult join(std::string_view room, std::string_view name, std::weak_ptr<PeerLink> link) override;
  void announce_joined(std::string_view room, std::string_view peer_id) override;
  bool relay(std::string_view room, std::string_view from, std::string_view to,
             std::shared_ptr<const std::string> frame) override;
  void leave(std::string_view room, std::string_view peer_id, LeaveReason reason) override;
  std::size_t room_count() const override;
  std::size_t peer_count() const override;

 private:
  struct Member {
    std::string id;
    std::string name;
    std::weak_ptr<PeerLink> link;
  };
  // Rooms are small (2 by default), so a vector beats a map.
  using Room = std::vector<Member>;

  // Links of everyone in `room` except `except`; caller holds mu_.
  std::vector<std::weak_ptr<PeerLink>> others_locked(const Room& room, std::string_view except) const;
  static void send_all(const std::vector<std::weak_ptr<PeerLink>>& links,
                       const std::shared_ptr<const std::string>& frame);

  const RouterLimits limits_;
  mutable std::mutex mu_;
  // Transparent hashing: rooms are found by string_view, with no key copy per relayed frame.
  struct RoomHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Room, RoomHash, std::equal_to<>> rooms_;  // guarded by mu_
  std::size_t peers_ = 0;                        // guarded by mu_
};

}  // namespace sb::signaling
