// RedisRouter: re-attach across nodes (docs/cluster.md, "Re-attach across nodes"). A join that carries a token
// digest (a PeerJS id with its token, JoinRequest::token_digest) and finds the id held by another node with the
// same digest gets the join script to publish a Claim to that node. The holder forgets the member here, moves its
// record with the move script of resume across nodes (which publishes the Handed answer to the claiming node
// first, then Moved to the room's other nodes) and tells its IdHolder, which closes the old connection. The
// claiming node then admits its member with took_over. A relay to the id that reaches the holder after it forgot
// the member goes through Redis, behind the move script, so it reaches the new node after the Handed.
#include <spdlog/spdlog.h>

#include "cluster/redis_router.hpp"

namespace sb::cluster {

namespace asio = boost::asio;
using signaling::ErrorCode;
namespace event = signaling::event;

namespace {

std::string claim_key(std::string_view room, std::string_view id) {
  std::string k(room);
  k += '\n';
  k += id;
  return k;
}

}  // namespace

void RedisRouter::set_id_holder(signaling::IdHolder* holder) {
  std::lock_guard lock(holder_mu_);
  holder_ = holder;
}

void RedisRouter::tell_holder(const std::string& room, const std::string& id) {
  std::lock_guard lock(holder_mu_);
  if (holder_ != nullptr) holder_->handed_over(room, id);
}

// The join script found the id on another node with this join's digest and sent that node the Claim: the member
// waits, not admitted, for the Handed answer (bounded like a resume's question to the other nodes).
void RedisRouter::await_hand_over(const std::string& room, const std::string& id) {
  auto timer = std::make_shared<asio::steady_timer>(io_, config_.resume_find_timeout);
  timer->async_wait([this, room, id](boost::system::error_code ec) {
    if (!ec) claim_expired(room, id);
  });
  claims_.insert_or_assign(claim_key(room, id), std::move(timer));
}

RedisRouter::LocalEntry* RedisRouter::joining_locked(const std::string& room, const std::string& id) {
  auto r = rooms_.find(room);
  if (r == rooms_.end()) return nullptr;
  auto e = r->second.local.find(id);
  return e == r->second.local.end() || e->second.admitted ? nullptr : &e->second;
}

void RedisRouter::claim_expired(const std::string& room, const std::string& id) {
  claims_.erase(claim_key(room, id));
  std::weak_ptr<signaling::Member> member;
  {
    std::lock_guard lock(mu_);
    LocalEntry* self = joining_locked(room, id);
    if (self == nullptr) return;
    member = self->member;
    rooms_.find(room)->second.local.erase(id);
    erase_if_empty_locked(room);
  }
  // A Handed that comes later finds no claim and gives the record up (on(Handed)).
  if (auto m = member.lock()) {
    m->deliver(event::Refused{id, ErrorCode::id_taken,
                              "the id " + id + " is held on another node, which did not hand it over in time"});
  }
}

// The holder's side: the member goes to the claiming node if it is still here with that digest.
void RedisRouter::on(const bus::Claim& m) {
  const std::string origin(m.origin), room(m.room), id(m.id), digest(m.digest);
  std::optional<std::uint64_t> seq;
  {
    std::lock_guard lock(mu_);
    if (auto r = rooms_.find(room); r != rooms_.end()) {
      auto e = r->second.local.find(id);
      if (e != r->second.local.end() && e->second.admitted && e->second.attach == digest) seq = e->second.seq;
    }
  }
  // Its connection closed meanwhile (its leave went to Redis first): the claiming node joins afresh.
  if (!seq) return publish(origin, encode_handed(room, id, false, 0));
  // From here on a relay to the id from this node, or one that reaches it, goes through Redis, where the move
  // script below runs first.
  forget_moved(room, id, origin);
  auto done = [this, origin, room, id](net::RedisReply r) {
    if (r.null() || r.is_error() || r.integer() != 1) {
      spdlog::warn("cluster: id {} in room {} could not move to node {}; it ends", id, room, origin);
      send_leave(room, id, encode_left(room, id, signaling::LeaveReason::disconnect));
      publish(origin, encode_handed(room, id, false, 0));
    }
    tell_holder(room, id);  // the old connection closes (1000), without a leave: the id is not here any more
  };
  if (!eval(Script::move_member, {keys_.room(room), keys_.members(config_.node_id), keys_.members(origin)},
            {id, config_.node_id, origin, encode_handed(room, id, true, *seq), encode_moved(room, id, origin),
             keys_.channel_prefix(), room, digest},
            done)) {
    done(net::RedisReply(nullptr));
  }
}

// The claiming node's side: admitted with took_over (no OPEN for PeerJS), or a plain join again when the holder
// no longer had the id (it has most likely left by now).
void RedisRouter::on(const bus::Handed& m) {
  const std::string room(m.room), id(m.id);
  if (auto c = claims_.find(claim_key(room, id)); c != claims_.end()) {
    c->second->cancel();
    claims_.erase(c);
  }
  bool orphan = m.moved;  // the record is this node's now: it stays only for a member that waits for it
  std::optional<signaling::JoinRequest> again;
  std::weak_ptr<signaling::Member> member;
  {
    std::lock_guard lock(mu_);
    LocalEntry* self = joining_locked(room, id);
    // `self` claimed it (its join's answer may still be on its way: the answer and the bus arrive on different
    // connections). None: the claim expired.
    if (self != nullptr && self->cancelled) {
      rooms_.find(room)->second.local.erase(id);  // left while waiting: its leave reached Redis before the move
      erase_if_empty_locked(room);
    } else if (self != nullptr && m.moved) {
      self->admitted = true;
      self->seq = m.seq;
      ++local_peers_;
      member = self->member;
      orphan = false;
    } else if (self != nullptr) {
      again = signaling::JoinRequest{room, self->info, self->capacity, self->presence, parse_hash_hex(self->attach)};
    }
  }
  if (orphan) send_leave(room, id, encode_left(room, id, signaling::LeaveReason::disconnect));
  if (again) send_join(std::move(*again), /*may_claim=*/false);
  if (auto mem = member.lock()) mem->deliver(event::Admitted{id, room, {}, true});
}

}  // namespace sb::cluster
