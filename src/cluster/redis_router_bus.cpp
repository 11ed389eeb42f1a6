// RedisRouter, on its own thread: answers to joins, and the messages other nodes publish on this node's channel.
#include <algorithm>
#include <spdlog/spdlog.h>

#include "cluster/redis_router.hpp"

namespace sb::cluster {

using signaling::ErrorCode;
namespace event = signaling::event;

void RedisRouter::on_join_reply(const std::string& room, const std::string& id, net::RedisReply reply) {
  std::optional<signaling::Event> answer;
  std::weak_ptr<signaling::Member> member;
  std::vector<Delivery> after;  // what happened in the room meanwhile, after the answer
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;
    auto e = r->second.local.find(id);
    if (e == r->second.local.end() || e->second.admitted) return;
    member = e->second.member;
    const std::string_view verdict = reply.at(0).str();
    if (e->second.cancelled) {
      r->second.local.erase(e);  // left while the script ran; its leave followed it to Redis
    } else if (verdict == "claimed") {
      await_hand_over(room, id);  // the id's holder on another node answers (redis_router_attach.cpp)
    } else if (verdict == "ok") {
      LocalEntry& self = e->second;
      self.admitted = true;
      self.seq = std::strtoull(std::string(reply.at(1).str()).c_str(), nullptr, 10);
      ++local_peers_;
      auto roster = self.presence ? take_roster_locked(r->second, id, reply.at(2)) : std::vector<signaling::PeerInfo>{};
      settle_pending_locked(self, roster, after);
      answer = event::Admitted{id, room, std::move(roster)};
    } else {
      // No answer: the script may have run. Leaving again once Redis is back removes what it may have added.
      if (reply.null()) {
        pending_leaves_.push_back({room, id, encode_left(room, id, signaling::LeaveReason::disconnect)});
      }
      const bool full = verdict == "room-full", taken = verdict == "id-taken";
      answer = event::Refused{id, full ? ErrorCode::room_full : taken ? ErrorCode::id_taken : ErrorCode::unavailable,
                              full    ? "room " + room + " is full"
                              : taken ? "the id " + id + " is taken in room " + room
                                      : "this server cannot reach the cluster's Redis right now; try again"};
      r->second.local.erase(e);
    }
    erase_if_empty_locked(room);
  }
  if (answer) {
    if (auto m = member.lock()) m->deliver(std::move(*answer));
  }
  deliver_all(after);
}

// The roster of a join (pairs of id and record, as HGETALL gave them): remote members enter the view; the
// Admitted roster lists every member with presence but the newcomer, in join order.
std::vector<signaling::PeerInfo> RedisRouter::take_roster_locked(RoomView& view, std::string_view self,
                                                                 net::RedisReply roster) {
  std::vector<std::pair<std::uint64_t, signaling::PeerInfo>> members;
  for (std::size_t i = 0; i + 1 < roster.size(); i += 2) {
    const auto id = roster.at(i).str();
    auto rec = parse_member_record(id, roster.at(i + 1).str());
    if (!rec) {
      metrics_->invalid.inc();
      continue;
    }
    if (id == self || !rec->presence) continue;
    if (rec->node != config_.node_id && !view.remote.contains(id)) {
      view.remote.emplace(std::string(id), RemoteEntry{rec->node, rec->peer, rec->seq, false});
    }
    members.emplace_back(rec->seq, std::move(rec->peer));
  }
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<signaling::PeerInfo> out;
  out.reserve(members.size());
  for (auto& [seq, peer] : members) out.push_back(std::move(peer));
  return out;
}

void RedisRouter::on_bus(std::string_view payload) {
  metrics_->in.inc();
  auto message = parse_bus_message(payload);
  if (!message) {
    metrics_->invalid.inc();
    spdlog::debug("cluster: dropped a malformed message from the bus ({} bytes)", payload.size());
    return;
  }
  std::visit([this](const auto& m) { on(m); }, *message);
}

void RedisRouter::on(const bus::Relay& m) {
  std::shared_ptr<signaling::Member> target;
  bool member = false;
  {
    std::lock_guard lock(mu_);
    if (auto r = rooms_.find(m.room); r != rooms_.end()) {
      if (auto t = r->second.local.find(m.to); t != r->second.local.end() && t->second.admitted) {
        member = true;
        target = t->second.member.lock();
      }
    }
  }
  if (target) {
    target->deliver(event::Relay{m.type, std::make_shared<const std::string>(m.frame)});
  } else if (!member) {
    reroute(m);
  }
}

// A relay for a member this node does not hold: it moved to another node (session resume, and the sender's node
// had not heard yet), it left, or the target was forged. Redis knows where it is now; when nowhere else, the
// sender's node tells the sender.
void RedisRouter::reroute(const bus::Relay& m) {
  auto done = [this, origin = std::string(m.origin),
               relay = encode_relay(m.origin, m.room, m.from, m.to, m.type, m.frame),
               unknown = encode_undeliverable(m.room, m.from, m.to, m.type, ErrorCode::unknown_peer),
               id = std::string(m.to)](net::RedisReply r) {
    std::optional<MemberRecord> rec;
    if (!r.null() && !r.is_error() && !r.is_nil()) rec = parse_member_record(id, r.str());
    if (rec && rec->node != config_.node_id) return publish(rec->node, relay);
    publish(origin, unknown);
  };
  const std::string room = keys_.room(m.room);
  const std::string_view args[] = {"HGET", room, m.to};
  if (!commands_->command(args, done)) done(net::RedisReply(nullptr));
}

void RedisRouter::on(const bus::Joined& m) {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(m.room);
    if (r == rooms_.end() || m.node == config_.node_id) return;
    auto& view = r->second;
    auto known = view.remote.find(m.peer.id);
    // Unknown: no member here has heard of it. Known from a roster: those who came before it have not.
    const bool everyone = known == view.remote.end();
    if (!everyone && known->second.announced) return;  // said before (a re-assertion repeats itself)
    for (auto& [id, o] : view.local) {
      if (o.presence) tell_locked(o, everyone || o.seq < m.seq, event::PeerJoined{m.peer}, deliveries);
    }
    if (everyone) {
      view.remote.emplace(m.peer.id, RemoteEntry{m.node, m.peer, m.seq, true});
    } else {
      known->second.announced = true;
    }
  }
  deliver_all(deliveries);
}

void RedisRouter::on(const bus::Left& m) {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(m.room);
    if (r == rooms_.end()) return;
    auto gone = r->second.remote.find(m.id);
    if (gone == r->second.remote.end()) return;
    told_left_locked(r->second, m.id, gone->second.seq, gone->second.announced, m.reason, deliveries);
    r->second.remote.erase(gone);
  }
  deliver_all(deliveries);
}

void RedisRouter::on(const bus::Undeliverable& m) {
  std::weak_ptr<signaling::Member> sender;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(m.room);
    if (r == rooms_.end()) return;
    auto s = r->second.local.find(m.from);
    if (s == r->second.local.end() || !s->second.admitted) return;
    sender = s->second.member;
  }
  if (auto s = sender.lock()) s->deliver(event::Undeliverable{std::string(m.to), m.type, m.code, nullptr});
}

void RedisRouter::on(const bus::Status& m) {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(m.room);
    if (r == rooms_.end()) return;
    std::uint64_t seq = 0;
    bool announced = false;
    if (auto about = r->second.remote.find(m.id); about != r->second.remote.end()) {
      seq = about->second.seq;
      announced = about->second.announced;
    } else if (auto moving = r->second.local.find(m.id); moving != r->second.local.end() && moving->second.admitted) {
      // Its session just moved to the sender's node, which resumed it before this node forgot it.
      seq = moving->second.seq;
      announced = moving->second.announced;
    } else {
      return;  // not known here (yet): nobody here is told
    }
    tell_knowing_locked(r->second, m.id, seq, announced, event::StatusChanged{std::string(m.id), m.status},
                        deliveries);
  }
  deliver_all(deliveries);
}

void RedisRouter::publish(const std::string& node, std::string payload) {
  const std::string channel = keys_.channel(node);
  const std::string_view args[] = {"PUBLISH", channel, payload};
  if (commands_->command(args, {})) metrics_->out.inc();
}

}  // namespace sb::cluster
