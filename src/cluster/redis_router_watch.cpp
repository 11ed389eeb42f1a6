// RedisRouter's watches (Router::watch): a member learns once when an id arrives in its room, on whichever node.
//
// The watcher's node keeps the watches in the room's view and puts itself in the target's watch set in Redis
// (one entry per node and target, however many of its members watch). The target's announcement (kAnnounce)
// sends Arrived to every node in that set and deletes it. A target that was a member already when the watch
// reached Redis may have been announced before: its node is asked (WatchQuery) and answers Arrived if so. A node
// told twice tells its watchers once: the first Arrived ends their watches.
#include <algorithm>
#include <boost/asio/post.hpp>

#include "cluster/redis_router.hpp"

namespace sb::cluster {

namespace asio = boost::asio;
namespace event = signaling::event;

void RedisRouter::watch(std::string_view room, std::string_view watcher, std::string_view target) {
  std::weak_ptr<signaling::Member> notify;
  signaling::PeerInfo info;
  {
    std::lock_guard lock(mu_);
    if (watcher == target || !valid_field(target)) return;  // an id no join can take never arrives
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;
    RoomView& view = r->second;
    auto w = view.local.find(watcher);
    if (w == view.local.end() || !w->second.admitted) return;  // only members watch
    if (auto t = view.local.find(target); t != view.local.end() && t->second.admitted && t->second.announced) {
      notify = w->second.member;
      info = t->second.info;
    } else if (auto rt = view.remote.find(target); rt != view.remote.end() && rt->second.announced) {
      notify = w->second.member;
      info = rt->second.info;
    } else if (std::find(w->second.watching.begin(), w->second.watching.end(), target) ==
               w->second.watching.end()) {
      w->second.watching.emplace_back(target);
      auto& list = view.watchers[std::string(target)];
      list.emplace_back(watcher);
      if (list.size() == 1) {
        asio::post(io_, [this, room = std::string(room), target = std::string(target)] { send_watch(room, target); });
      }
    }
  }
  if (auto m = notify.lock()) m->deliver(event::PeerJoined{std::move(info)});
}

void RedisRouter::unwatch(std::string_view room, std::string_view watcher, std::string_view target) {
  std::lock_guard lock(mu_);
  if (auto r = rooms_.find(room); r != rooms_.end()) unwatch_locked(room, r->second, watcher, target);
}

void RedisRouter::unwatch_locked(std::string_view room, RoomView& view, std::string_view watcher,
                                 std::string_view target) {
  if (auto m = view.local.find(watcher); m != view.local.end()) std::erase(m->second.watching, target);
  auto w = view.watchers.find(target);
  if (w == view.watchers.end()) return;
  std::erase(w->second, watcher);
  if (!w->second.empty()) return;
  view.watchers.erase(w);
  asio::post(io_, [this, room = std::string(room), target = std::string(target)] { send_unwatch(room, target); });
}

void RedisRouter::notify_watchers_locked(std::string_view room, RoomView& view, const signaling::PeerInfo& info,
                                         std::vector<Delivery>& out) {
  auto w = view.watchers.find(info.id);
  if (w == view.watchers.end()) return;
  for (const auto& watcher : w->second) {
    auto m = view.local.find(watcher);
    if (m == view.local.end()) continue;
    std::erase(m->second.watching, info.id);
    out.emplace_back(m->second.member, event::PeerJoined{info});
  }
  view.watchers.erase(w);
  // The announcement deleted the watch set; this node's list of its watch keys still names it.
  asio::post(io_, [this, room = std::string(room), target = info.id] { send_unwatch(room, target); });
}

void RedisRouter::send_watch(const std::string& room, const std::string& target) {
  // Lost while Redis is away; the re-assertion after it comes back watches again (rewatch).
  eval(Script::watch, {keys_.watch(room, target), keys_.room(room), keys_.watching(config_.node_id)},
       {config_.node_id, target}, [this, room, target](net::RedisReply r) {
         // A target of this node: its announce_joined tells the watchers here.
         if (!r.is_string() || r.str() == config_.node_id) return;
         publish(std::string(r.str()), encode_watch_query(config_.node_id, room, target));
       });
}

void RedisRouter::send_unwatch(const std::string& room, const std::string& target) {
  eval(Script::unwatch, {keys_.watch(room, target), keys_.watching(config_.node_id)}, {config_.node_id}, {});
}

void RedisRouter::rewatch() {
  std::vector<std::pair<std::string, std::string>> watches;
  {
    std::lock_guard lock(mu_);
    for (const auto& [room, view] : rooms_) {
      for (const auto& [target, watchers] : view.watchers) watches.emplace_back(room, target);
    }
  }
  for (const auto& [room, target] : watches) send_watch(room, target);
}

void RedisRouter::on(const bus::WatchQuery& m) {
  std::string answer;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(m.room);
    if (r == rooms_.end()) return;
    auto t = r->second.local.find(m.target);
    // Not announced yet: its announcement finds the asking node in the watch set.
    if (t == r->second.local.end() || !t->second.admitted || !t->second.announced) return;
    answer = encode_arrived(m.room, t->second.info);
  }
  publish(std::string(m.origin), std::move(answer));
}

void RedisRouter::on(const bus::Arrived& m) {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(m.room);
    if (r == rooms_.end()) return;
    notify_watchers_locked(m.room, r->second, m.peer, deliveries);
  }
  deliver_all(deliveries);
}

}  // namespace sb::cluster
