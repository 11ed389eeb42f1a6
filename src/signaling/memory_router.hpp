// The Router of a single node: rooms in a map under one mutex. The default; nothing to install.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "signaling/router.hpp"

namespace sb::signaling {

class MemoryRouter final : public Router {
 public:
  explicit MemoryRouter(RouterLimits limits) : limits_(limits) {}

  std::string join(JoinRequest request, std::weak_ptr<Member> member) override;
  void announce_joined(std::string_view room, std::string_view id) override;
  void relay(std::string_view room, std::string_view from, std::string_view to, event::Relay relay) override;
  void leave(std::string_view room, std::string_view id, LeaveReason reason) override;
  void watch(std::string_view room, std::string_view watcher, std::string_view target) override;
  void unwatch(std::string_view room, std::string_view watcher, std::string_view target) override;
  void set_status(std::string_view room, std::string_view id, PeerStatus status) override;
  void drain() override;
  std::size_t room_count() const override;
  std::size_t peer_count() const override;

 private:
  // Transparent hashing: rooms and members are found by string_view, with no key copy per relayed frame.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <class V>
  using Map = std::unordered_map<std::string, V, Hash, std::equal_to<>>;

  struct Entry {
    PeerInfo info;
    std::weak_ptr<Member> member;
    std::uint64_t seq = 0;  // join order in the room: announce_joined tells only those who came before
    bool presence = true;
    bool announced = false;  // those who came before know of this member only once it is announced
    std::vector<std::string> watching{};  // targets this member watches (few: a PeerJS session's pending ids)
  };
  // Keyed by member id: a relay finds both ends in constant time, however big the room.
  struct Room {
    Map<Entry> members;
    Map<std::vector<std::string>> watchers;  // target id → ids of the members watching it
    std::uint64_t next_seq = 0;
  };
  using Delivery = std::pair<std::weak_ptr<Member>, Event>;

  Event admit_locked(JoinRequest& request, const std::weak_ptr<Member>& member);
  static std::vector<PeerInfo> roster_locked(const Room& room);
  // Ends `watcher`'s watch of `target` in `room` (both sides of the index).
  static void unwatch_locked(Room& room, std::string_view watcher, std::string_view target);
  // Hands PeerJoined{info} to everyone watching info.id, ending their watches.
  static void notify_watchers_locked(Room& room, const PeerInfo& info, std::vector<Delivery>& out);
  // `event` to every member of `room` that knows of `about` (who came later, or earlier once it was announced).
  static void tell_others_locked(const Room& room, const Entry& about, const Event& event,
                                 std::vector<Delivery>& out);
  static void deliver_all(std::vector<Delivery>& deliveries);

  const RouterLimits limits_;
  mutable std::mutex mu_;
  Map<Room> rooms_;        // guarded by mu_
  std::size_t peers_ = 0;  // guarded by mu_
  bool draining_ = false;  // guarded by mu_
};

}  // namespace sb::signaling
