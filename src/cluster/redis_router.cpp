// RedisRouter's calls: join, announce, relay, leave, set_status, drain (see redis_router.hpp).
#include "cluster/redis_router.hpp"

#include <boost/asio/post.hpp>
#include <algorithm>
#include <spdlog/spdlog.h>
#include <unordered_set>

#include "util/random.hpp"

namespace sb::cluster {

namespace asio = boost::asio;
using signaling::ErrorCode;
using signaling::Event;
namespace event = signaling::event;

RedisRouter::Metrics::Metrics(metrics::Registry& r, const std::string& node)
      : rtt(r.histogram("signalbox_cluster_redis_rtt_seconds", "Round trips of the node's Redis scripts.",
                        metrics::latency_buckets())),
        out(r.counter("signalbox_cluster_messages_total", "Messages between nodes, by direction.",
                      {{"direction", "out"}})),
        in(r.counter("signalbox_cluster_messages_total", "Messages between nodes, by direction.",
                     {{"direction", "in"}})),
        invalid(r.counter("signalbox_cluster_bus_invalid_total",
                          "Messages from the Redis bus that did not parse (dropped).")),
        reconnects(r.counter("signalbox_cluster_redis_reconnects_total",
                             "Times the node got Redis back after losing it.")),
        reassertions(r.counter("signalbox_cluster_reassertions_total",
                               "Times the node put its members back into Redis (after a reconnect or a flush).")),
        redis_up(r.gauge("signalbox_cluster_redis_up", "1 when the node reaches Redis.")),
        nodes_alive(r.gauge("signalbox_cluster_nodes_alive", "Nodes with a live heartbeat, this one included.")) {
  r.gauge("signalbox_cluster_node", "This node's id (always 1).", {{"node", node}}).set(1);
}

RedisRouter::RedisRouter(ClusterConfig config, signaling::RouterLimits limits, metrics::Registry& registry)
    : config_(std::move(config)),
      limits_(limits),
      keys_(config_.key_prefix),
      metrics_(std::make_unique<Metrics>(registry, config_.node_id)),
      heartbeat_timer_(io_),
      sweep_timer_(io_),
      reconcile_timer_(io_) {
  down_since_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
}

RedisRouter::~RedisRouter() { stop(std::chrono::milliseconds(0)); }

std::string RedisRouter::join(signaling::JoinRequest request, std::weak_ptr<signaling::Member> member) {
  if (request.self.id.empty()) request.self.id = util::random_hex(16);
  std::string id = request.self.id;
  std::optional<event::Refused> refused;
  {
    std::lock_guard lock(mu_);
    refused = admit_locked(request);
    if (!refused) {
      LocalEntry entry{request.self, member, 0, request.presence};
      if (request.token_digest) entry.attach = hash_hex(*request.token_digest);
      entry.capacity = request.max_peers;
      rooms_[request.room].local.emplace(id, std::move(entry));
    }
  }
  if (refused) {
    if (auto m = member.lock()) m->deliver(std::move(*refused));
    return id;
  }
  asio::post(io_, [this, request = std::move(request)]() mutable { send_join(std::move(request)); });
  return id;
}

std::optional<event::Refused> RedisRouter::admit_locked(const signaling::JoinRequest& request) {
  const std::string& id = request.self.id;
  if (!valid_field(request.room) || !valid_field(id)) {
    return event::Refused{id, ErrorCode::invalid_message, "a room or peer id the cluster cannot carry"};
  }
  if (draining_) return event::Refused{id, ErrorCode::unavailable, "this server is shutting down; connect again"};
  if (!up_) {
    return event::Refused{id, ErrorCode::unavailable,
                          "this server cannot reach the cluster's Redis right now; try again"};
  }
  auto it = rooms_.find(request.room);
  if (it == rooms_.end() && rooms_.size() >= limits_.max_rooms) {
    return event::Refused{id, ErrorCode::server_full, "the server's room limit is reached"};
  }
  if (it != rooms_.end() && it->second.local.contains(id)) {
    return event::Refused{id, ErrorCode::id_taken, "the id " + id + " is taken in room " + request.room};
  }
  return std::nullopt;
}

void RedisRouter::send_join(signaling::JoinRequest request, bool may_claim) {
  const std::uint32_t capacity = request.max_peers != 0 ? request.max_peers : limits_.max_peers_per_room;
  const std::string digest = request.token_digest ? hash_hex(*request.token_digest) : std::string();
  const std::string tail = encode_record_tail(request.presence, request.self, digest);
  // Re-attach across nodes (redis_router_attach.cpp): what the script sends the id's holder if the digests match.
  // Bounded like the resumes waiting for other nodes: beyond, an id held elsewhere is id-taken.
  may_claim = may_claim && !digest.empty() && claims_.size() < config_.max_resume_finds;
  const std::string claim = may_claim ? encode_claim(config_.node_id, request.room, request.self.id, digest) : "";
  const std::string_view claim_digest = claim.empty() ? std::string_view() : std::string_view(digest);
  const std::string cap = std::to_string(capacity);
  const std::string room_key = keys_.room(request.room), members = keys_.members(config_.node_id),
                    seq = keys_.seq();
  auto done = [this, room = request.room, id = request.self.id](net::RedisReply r) { on_join_reply(room, id, r); };
  if (!eval(Script::join, {room_key, members, seq},
            {request.self.id, config_.node_id, tail, cap, request.presence ? "1" : "0", request.room,
             claim_digest, claim, keys_.channel_prefix()},
            done)) {
    done(net::RedisReply(nullptr));
  }
}

void RedisRouter::announce_joined(std::string_view room, std::string_view id) {
  std::vector<Delivery> deliveries;
  std::string joined, arrived;
  bool presence;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;
    auto self = r->second.local.find(id);
    if (self == r->second.local.end()) return;
    LocalEntry& e = self->second;
    if (!e.admitted || e.announced) return;
    e.announced = true;
    presence = e.presence;
    notify_watchers_locked(room, r->second, e.info, deliveries);
    if (presence) {
      for (auto& [other, o] : r->second.local) {
        if (&o != &e && o.presence) tell_locked(o, o.seq < e.seq, event::PeerJoined{e.info}, deliveries);
      }
      joined = encode_joined(room, config_.node_id, e.seq, e.info);
    }
    arrived = encode_arrived(room, e.info);
  }
  deliver_all(deliveries);
  asio::post(io_, [this, room = std::string(room), id = std::string(id), joined = std::move(joined),
                   arrived = std::move(arrived), presence] {
    // Lost if Redis is away now; the re-assertion after it comes back announces again.
    eval(Script::announce, {keys_.room(room), keys_.watch(room, id)},
         {id, config_.node_id, joined, keys_.channel_prefix(), presence ? "1" : "0", arrived}, {});
  });
}

void RedisRouter::relay(std::string_view room, std::string_view from, std::string_view to, event::Relay relay) {
  std::shared_ptr<signaling::Member> target;
  std::weak_ptr<signaling::Member> sender;
  std::string node;
  bool local = false;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;  // the sender is no member: nobody to answer
    const auto s = r->second.local.find(from);
    if (s == r->second.local.end() || !s->second.admitted) return;
    if (from != to) {
      if (auto t = r->second.local.find(to); t != r->second.local.end() && t->second.admitted) {
        local = true;
        target = t->second.member.lock();
      } else if (auto rt = r->second.remote.find(to); rt != r->second.remote.end()) {
        node = rt->second.node;
      }
    }
    if (!local) sender = s->second.member;
  }
  if (local) {
    // The same-node fast path: no Redis. A target whose member is gone is leaving right now.
    if (target) target->deliver(std::move(relay));
    return;
  }
  relay_remote(room, from, to, node.empty() ? nullptr : &node, std::move(relay), std::move(sender));
}

void RedisRouter::relay_remote(std::string_view room, std::string_view from, std::string_view to,
                               const std::string* node, event::Relay relay,
                               std::weak_ptr<signaling::Member> sender) {
  auto undeliverable = [&](ErrorCode code) {
    if (auto s = sender.lock()) s->deliver(event::Undeliverable{std::string(to), relay.type, code, relay.frame});
  };
  if (from == to) return undeliverable(ErrorCode::unknown_peer);
  if (!up_) return undeliverable(ErrorCode::unavailable);
  Outgoing out{std::string(room),  std::string(from),
               std::string(to),    node ? *node : std::string(),
               encode_relay(config_.node_id, room, from, to, relay.type, *relay.frame),
               std::move(relay),   std::move(sender)};
  // One wake-up of the router's thread for a burst of relays, not one per relay. The flush is posted under the
  // lock, so whoever finds the outbox non-empty knows a flush is already queued ahead of anything it posts later
  // (a leave, say): Redis sees a member's relays and its leave in the order it made them.
  std::lock_guard lock(outbox_mu_);
  if (outbox_.empty()) asio::post(io_, [this] { flush_outbox(); });
  outbox_.push_back(std::move(out));
}

void RedisRouter::flush_outbox() {
  std::vector<Outgoing> batch;
  {
    std::lock_guard lock(outbox_mu_);
    batch.swap(outbox_);
  }
  for (auto& o : batch) send_relay(o);
}

// Tells a relay's sender that it did not arrive.
struct RedisRouter::Reporter {
  std::string to;
  event::Relay relay;
  std::weak_ptr<signaling::Member> sender;
  void operator()(ErrorCode code) const {
    if (auto s = sender.lock()) s->deliver(event::Undeliverable{to, relay.type, code, relay.frame});
  }
};

void RedisRouter::send_relay(Outgoing& o) {
  if (!scripts_loaded_ || !commands_->ready()) {
    return Reporter{std::move(o.to), std::move(o.relay), std::move(o.sender)}(ErrorCode::unavailable);
  }
  metrics_->out.inc();
  const Reporter report{o.to, std::move(o.relay), std::move(o.sender)};
  bool sent;
  if (!o.node.empty()) {
    const std::string channel = keys_.channel(o.node);
    const std::string_view args[] = {"PUBLISH", channel, o.payload};
    // Nobody subscribed: the target's node is gone or reconnecting.
    sent = commands_->command(args, [r = report](net::RedisReply reply) {
      if (reply.null() || reply.integer() == 0) r(ErrorCode::unavailable);
    });
  } else {
    // Not in this node's view (no presence, or not there at all): Redis finds its node, or says it is unknown.
    sent = eval(Script::relay, {keys_.room(o.room)}, {o.from, o.to, o.payload, keys_.channel_prefix()},
                [r = report](net::RedisReply reply) {
                  if (reply.null() || reply.is_error()) return r(ErrorCode::unavailable);
                  if (reply.is_nil()) return r(ErrorCode::unknown_peer);
                  if (reply.at(1).integer() == 0) r(ErrorCode::unavailable);
                });
  }
  // Redis going away this very moment (the callback is dropped unrun).
  if (!sent) report(ErrorCode::unavailable);
}

void RedisRouter::leave(std::string_view room, std::string_view id, signaling::LeaveReason reason) {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;
    auto e = r->second.local.find(id);
    if (e == r->second.local.end() || e->second.cancelled) return;
    if (!e->second.admitted) {
      // The join's script is queued before this leave's on the one connection, so Redis runs them in order;
      // the join's answer then only takes the member out of the view.
      e->second.cancelled = true;
    } else {
      const LocalEntry gone = std::move(e->second);
      r->second.local.erase(e);
      --local_peers_;
      for (const auto& target : gone.watching) unwatch_locked(room, r->second, id, target);
      if (gone.presence) told_left_locked(r->second, id, gone.seq, gone.announced, reason, deliveries);
      erase_if_empty_locked(room);
    }
  }
  deliver_all(deliveries);
  asio::post(io_, [this, room = std::string(room), id = std::string(id), payload = encode_left(room, id, reason)] {
    send_leave(room, id, payload);
  });
}

void RedisRouter::send_leave(const std::string& room, const std::string& id, const std::string& payload) {
  auto done = [this, room, id, payload](net::RedisReply r) {
    if (r.null()) pending_leaves_.push_back({room, id, payload});  // done again once Redis is back
  };
  if (!eval(Script::leave, {keys_.room(room), keys_.members(config_.node_id)},
            {id, config_.node_id, payload, keys_.channel_prefix(), room}, done)) {
    pending_leaves_.push_back({room, id, payload});
  }
}

// Those who know of the member that left: who came after it (it was in their roster), and, once it was
// announced, everyone.
void RedisRouter::told_left_locked(RoomView& view, std::string_view id, std::uint64_t seq, bool announced,
                                   signaling::LeaveReason reason, std::vector<Delivery>& out) {
  for (auto& [other, o] : view.local) {
    if (o.presence) tell_locked(o, o.seq > seq || announced, event::PeerLeft{std::string(id), reason}, out);
  }
}

void RedisRouter::tell_locked(LocalEntry& e, bool applies, Event ev, std::vector<Delivery>& out) {
  if (e.admitted) {
    if (applies) out.emplace_back(e.member, std::move(ev));
  } else if (!e.cancelled) {
    e.pending.push_back(std::move(ev));
  }
}

// Once admitted: a peer announced meanwhile is news unless the roster has it; a peer that left meanwhile is news
// if the roster (or an earlier pending announcement) had it.
void RedisRouter::settle_pending_locked(LocalEntry& e, const std::vector<signaling::PeerInfo>& roster,
                                        std::vector<Delivery>& out) {
  std::unordered_set<std::string> known;
  for (const auto& p : roster) known.insert(p.id);
  for (auto& ev : e.pending) {
    if (auto* j = std::get_if<event::PeerJoined>(&ev)) {
      if (known.insert(j->peer.id).second) out.emplace_back(e.member, std::move(ev));
    } else if (auto* l = std::get_if<event::PeerLeft>(&ev)) {
      if (known.erase(l->id) != 0) out.emplace_back(e.member, std::move(ev));
    }
  }
  e.pending.clear();
  e.pending.shrink_to_fit();
}

// `ev` about member `id` (join order `seq`) to the admitted local members that know of it.
void RedisRouter::tell_knowing_locked(RoomView& view, std::string_view id, std::uint64_t seq, bool announced,
                                      const signaling::Event& ev, std::vector<Delivery>& out) {
  for (const auto& [other, o] : view.local) {
    if (other != id && o.admitted && o.presence && (o.seq > seq || announced)) out.emplace_back(o.member, ev);
  }
}

// Session resume: the local members that know of `id` hear it at once; the other nodes in the room's view get a
// Status message each (best effort: while Redis is away they do not hear it, and the peer-left that ends a
// session that never resumes still reaches them).
void RedisRouter::set_status(std::string_view room, std::string_view id, signaling::PeerStatus status) {
  std::vector<Delivery> deliveries;
  std::vector<std::string> nodes;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;
    auto e = r->second.local.find(id);
    if (e == r->second.local.end() || !e->second.admitted || !e->second.presence) return;
    tell_knowing_locked(r->second, id, e->second.seq, e->second.announced,
                        event::StatusChanged{std::string(id), status}, deliveries);
    for (const auto& [other, remote] : r->second.remote) {
      if (std::find(nodes.begin(), nodes.end(), remote.node) == nodes.end()) nodes.push_back(remote.node);
    }
  }
  deliver_all(deliveries);
  if (nodes.empty() || !up_) return;
  asio::post(io_, [this, nodes = std::move(nodes), payload = encode_status(room, id, status)] {
    for (const auto& node : nodes) publish(node, payload);
  });
}

void RedisRouter::erase_if_empty_locked(std::string_view room) {
  auto r = rooms_.find(room);
  if (r != rooms_.end() && r->second.local.empty()) rooms_.erase(r);
}

void RedisRouter::drain() {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    draining_ = true;
    for (const auto& [name, view] : rooms_) {
      for (const auto& [id, e] : view.local) {
        if (e.admitted) deliveries.emplace_back(e.member, event::Drain{});
      }
    }
  }
  deliver_all(deliveries);
}

void RedisRouter::deliver_all(std::vector<Delivery>& deliveries) {
  for (auto& [weak, ev] : deliveries) {
    if (auto m = weak.lock()) m->deliver(std::move(ev));
  }
}

std::size_t RedisRouter::room_count() const {
  std::lock_guard lock(mu_);
  return rooms_.size();
}

std::size_t RedisRouter::peer_count() const {
  std::lock_guard lock(mu_);
  return local_peers_;
}

ClusterHealth RedisRouter::health() const {
  ClusterHealth h;
  h.redis_up = up_;
  if (!h.redis_up) {
    h.down_for = std::chrono::steady_clock::now().time_since_epoch() -
                 std::chrono::steady_clock::duration(down_since_ns_.load());
  }
  {
    std::lock_guard lock(mu_);
    h.draining = draining_;
  }
  h.nodes_alive = nodes_alive_;
  return h;
}

}  // namespace sb::cluster
