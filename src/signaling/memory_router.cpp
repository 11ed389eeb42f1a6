#include "signaling/memory_router.hpp"

#include <algorithm>

#include "util/random.hpp"

namespace sb::signaling {

std::string MemoryRouter::join(JoinRequest request, std::weak_ptr<Member> member) {
  // 128 bits from the CSPRNG: unguessable, so minted ids are not checked for collisions.
  if (request.self.id.empty()) request.self.id = util::random_hex(16);
  std::string id = request.self.id;
  Event answer;
  {
    std::lock_guard lock(mu_);
    answer = admit_locked(request, member);
  }
  if (auto m = member.lock()) m->deliver(std::move(answer));
  return id;
}

Event MemoryRouter::admit_locked(JoinRequest& request, const std::weak_ptr<Member>& member) {
  const std::string& id = request.self.id;
  if (draining_)
    return event::Refused{id, ErrorCode::unavailable, "this server is shutting down; connect again"};
  auto it = rooms_.find(request.room);
  if (it == rooms_.end()) {
    if (rooms_.size() >= limits_.max_rooms) {
      return event::Refused{id, ErrorCode::server_full, "the server's room limit is reached"};
    }
    it = rooms_.emplace(request.room, Room{}).first;
  }
  Room& room = it->second;
  const std::uint32_t capacity = request.max_peers != 0 ? request.max_peers : limits_.max_peers_per_room;
  if (room.members.contains(id)) {
    return event::Refused{id, ErrorCode::id_taken, "the id " + id + " is taken in room " + request.room};
  }
  if (room.members.size() >= capacity) {
    return event::Refused{id, ErrorCode::room_full,
                          "room " + request.room + " is full (" + std::to_string(capacity) + " peers)"};
  }
  event::Admitted admitted{id, request.room,
                           request.presence ? roster_locked(room) : std::vector<PeerInfo>{}};
  std::string key = id;  // `id` lives in request.self, which moves into the entry
  room.members.emplace(std::move(key),
                       Entry{std::move(request.self), member, room.next_seq++, request.presence});
  ++peers_;
  return admitted;
}

std::vector<PeerInfo> MemoryRouter::roster_locked(const Room& room) {
  std::vector<const Entry*> entries;
  entries.reserve(room.members.size());
  for (const auto& [id, e] : room.members) {
    if (e.presence) entries.push_back(&e);
  }
  std::sort(entries.begin(), entries.end(), [](const Entry* a, const Entry* b) { return a->seq < b->seq; });
  std::vector<PeerInfo> peers;
  peers.reserve(entries.size());
  for (const Entry* e : entries) peers.push_back(e->info);
  return peers;
}

void MemoryRouter::deliver_all(std::vector<Delivery>& deliveries) {
  for (auto& [weak, ev] : deliveries) {
    if (auto m = weak.lock()) m->deliver(std::move(ev));
  }
}

void MemoryRouter::announce_joined(std::string_view room, std::string_view id) {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;
    auto self = r->second.members.find(id);
    if (self == r->second.members.end() || self->second.announced) return;
    self->second.announced = true;
    notify_watchers_locked(r->second, self->second.info, deliveries);
    for (const auto& [other_id, e] : r->second.members) {
      if (self->second.presence && e.presence && e.seq < self->second.seq) {
        deliveries.emplace_back(e.member, event::PeerJoined{self->second.info});
      }
    }
  }
  deliver_all(deliveries);
}

void MemoryRouter::notify_watchers_locked(Room& room, const PeerInfo& info, std::vector<Delivery>& out) {
  auto w = room.watchers.find(info.id);
  if (w == room.watchers.end()) return;
  for (const auto& watcher : w->second) {
    auto m = room.members.find(watcher);
    if (m == room.members.end()) continue;
    std::erase(m->second.watching, info.id);
    out.emplace_back(m->second.member, event::PeerJoined{info});
  }
  room.watchers.erase(w);
}

void MemoryRouter::unwatch_locked(Room& room, std::string_view watcher, std::string_view target) {
  if (auto w = room.watchers.find(target); w != room.watchers.end()) {
    std::erase(w->second, watcher);
    if (w->second.empty()) room.watchers.erase(w);
  }
  if (auto m = room.members.find(watcher); m != room.members.end()) std::erase(m->second.watching, target);
}

void MemoryRouter::watch(std::string_view room, std::string_view watcher, std::string_view target) {
  std::weak_ptr<Member> notify;
  PeerInfo info;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;
    auto w = r->second.members.find(watcher);
    if (w == r->second.members.end() || watcher == target) return;  // only members watch
    auto t = r->second.members.find(target);
    if (t != r->second.members.end() && t->second.announced) {
      notify = w->second.member;
      info = t->second.info;
    } else if (std::find(w->second.watching.begin(), w->second.watching.end(), target) ==
               w->second.watching.end()) {
      w->second.watching.emplace_back(target);
      r->second.watchers[std::string(target)].emplace_back(watcher);
    }
  }
  if (auto m = notify.lock()) m->deliver(event::PeerJoined{std::move(info)});
}

void MemoryRouter::unwatch(std::string_view room, std::string_view watcher, std::string_view target) {
  std::lock_guard lock(mu_);
  if (auto r = rooms_.find(room); r != rooms_.end()) unwatch_locked(r->second, watcher, target);
}

void MemoryRouter::relay(std::string_view room, std::string_view from, std::string_view to,
                         event::Relay relay) {
  std::shared_ptr<Member> target;
  std::weak_ptr<Member> sender;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;  // the sender is no member: nobody to answer
    const auto& members = r->second.members;
    auto s = members.find(from);
    if (s == members.end()) return;
    // Both ends must be members: a sender can never reach into a room it is not in.
    auto t = from == to ? members.end() : members.find(to);
    if (t != members.end()) {
      target = t->second.member.lock();
    } else {
      sender = s->second.member;
    }
  }
  if (target) {
    target->deliver(std::move(relay));
  } else if (auto s = sender.lock()) {
    s->deliver(
        event::Undeliverable{std::string(to), relay.type, ErrorCode::unknown_peer, std::move(relay.frame)});
  }
  // A target whose member is gone is leaving right now; the frame has nowhere to go, but `to` was valid.
}

void MemoryRouter::leave(std::string_view room, std::string_view id, LeaveReason reason) {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;
    auto& members = r->second.members;
    auto self = members.find(id);
    if (self == members.end()) return;
    const Entry gone = std::move(self->second);
    members.erase(self);
    --peers_;
    for (const auto& target : gone.watching) unwatch_locked(r->second, id, target);
    if (members.empty()) {
      rooms_.erase(r);
      return;
    }
    tell_others_locked(r->second, gone, event::PeerLeft{std::string(id), reason}, deliveries);
  }
  deliver_all(deliveries);
}

void MemoryRouter::tell_others_locked(const Room& room, const Entry& about, const Event& event,
                                      std::vector<Delivery>& out) {
  if (!about.presence) return;
  // Those who know of it: who came later (it was in their roster), and who came before once it was announced.
  for (const auto& [other_id, e] : room.members) {
    if (&e != &about && e.presence && (e.seq > about.seq || about.announced)) out.emplace_back(e.member, event);
  }
}

void MemoryRouter::set_status(std::string_view room, std::string_view id, PeerStatus status) {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;
    auto self = r->second.members.find(id);
    if (self == r->second.members.end()) return;
    tell_others_locked(r->second, self->second, event::StatusChanged{std::string(id), status}, deliveries);
  }
  deliver_all(deliveries);
}

void MemoryRouter::drain() {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    draining_ = true;
    for (const auto& [name, room] : rooms_) {
      for (const auto& [id, e] : room.members) deliveries.emplace_back(e.member, event::Drain{});
    }
  }
  deliver_all(deliveries);
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
